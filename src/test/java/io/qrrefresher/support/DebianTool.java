package io.qrrefresher.support;

import java.io.File;

import org.junit.jupiter.api.Assumptions;

/**
 * A Debian program a test runs for real (.ci/run installs it). Without it the test is skipped, and says so on the
 * console: a skipped check is never silent.
 */
public final class DebianTool {

    private DebianTool() {
    }

    /** The program, or the test is skipped with a line naming the package to install. */
    public static File require(String path, String debianPackage, String test) {
        File program = new File(path);
        if (!program.canExecute()) {
            System.out.println("SKIPPED " + test + ": " + path + " is missing (apt-get install -y " + debianPackage
                    + "; .ci/run installs it)");
        }
        Assumptions.assumeTrue(program.canExecute(), path + " is not installed (apt-get install -y " + debianPackage
                + ")");
        return program;
    }
}
