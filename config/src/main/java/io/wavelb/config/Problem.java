package io.wavelb.config;

import java.util.Objects;

/**
 * One thing wrong with a config file, located exactly. {@code line} and {@code column} are 1-based;
 * {@code path} is the YAML path such as {@code listeners[1].udp.idle_timeout} (empty for the document).
 */
public record Problem(String file, int line, int column, String path, String message) {

    public Problem {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(message, "message");
    }

    /** {@code file:line:column: path: message}, the form the CLI prints. */
    public String format() {
        String where = file + ":" + line + ":" + column + ": ";
        return path.isEmpty() ? where + message : where + path + ": " + message;
    }

    @Override
    public String toString() {
        return format();
    }
}
