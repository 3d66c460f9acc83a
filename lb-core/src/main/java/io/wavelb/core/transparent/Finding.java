package io.wavelb.core.transparent;

import java.util.List;
import java.util.Objects;

/**
 * One line of a host diagnosis, with the commands that would fix it.
 *
 * @param severity what it means for a start: {@link Severity#ERROR} stops it
 * @param message  what was found, one sentence naming the listener, capability or family
 * @param commands what to run, exactly (empty when nothing is to be done)
 */
public record Finding(Severity severity, String message, List<String> commands) {

    public enum Severity {
        /** As needed. */
        OK,
        /** Not checked by wavelb, but needed: said so the operator checks it. */
        NOTE,
        /** Likely broken, but the host may be right in a way wavelb cannot see: a start logs it. */
        WARNING,
        /** Transparent listeners cannot work: a start fails. */
        ERROR
    }

    public Finding {
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(message, "message");
        commands = List.copyOf(commands);
    }

    /** The message, then each command indented on its own line. */
    public String format() {
        StringBuilder b = new StringBuilder(severity.name().toLowerCase(java.util.Locale.ROOT)).append(": ").append(message);
        for (String c : commands) {
            b.append("\n    ").append(c);
        }
        return b.toString();
    }
}
