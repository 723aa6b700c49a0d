package io.qrrefresher.ops;

import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Starts hawtio 3 (io.hawt:hawtio-embedded) with its war from the classpath: {@code mvn -B -Phawtio exec:java}. Its own
 * {@code main} ignores the command line in 3.0.0, and it does not find its war unless told where it is.
 */
public final class HawtioConsole {

    private HawtioConsole() {
    }

    public static void main(String[] args) {
        List<String> arguments = new ArrayList<>(Arrays.asList(args));
        if (!arguments.contains("--war")) {
            for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
                if (entry.matches(".*hawtio-default-[^" + File.separator + "]*\\.war")) {
                    arguments.add("--war");
                    arguments.add(entry);
                }
            }
        }
        io.hawt.embedded.Main.run(arguments.toArray(String[]::new));
    }
}
