package io.qrrefresher.config;

/**
 * A configuration value that cannot be used. The message is one line that names the environment variable and the
 * property key, so that startup can stop with exactly that line.
 */
public class InvalidSettingException extends RuntimeException {

    public InvalidSettingException(Setting setting, String problem) {
        super("Invalid configuration " + setting.env() + " (" + setting.key() + "): " + problem);
    }

    /** What the configuration points at cannot be used (the application's table, say): {@code line} says what to do. */
    public InvalidSettingException(String line) {
        super(line);
    }
}
