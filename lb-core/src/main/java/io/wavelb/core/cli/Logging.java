package io.wavelb.core.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** One line per log record on stderr: {@code 2026-11-22T23:00:00.123Z WARN  message}. */
final class Logging {

    private Logging() {
    }

    static void configure(Level level) {
        Logger root = Logger.getLogger("");
        for (var h : root.getHandlers()) {
            root.removeHandler(h);
        }
        ConsoleHandler handler = new ConsoleHandler();
        handler.setLevel(level);
        handler.setFormatter(new Formatter() {
            @Override
            public String format(LogRecord r) {
                StringBuilder sb = new StringBuilder(128)
                        .append(Instant.ofEpochMilli(r.getMillis())).append(' ')
                        .append(levelName(r.getLevel())).append(' ')
                        .append(formatMessage(r));
                Throwable thrown = r.getThrown();
                if (thrown != null && r.getLevel().intValue() >= Level.SEVERE.intValue()) {
                    var out = new StringWriter();
                    thrown.printStackTrace(new PrintWriter(out));
                    sb.append(System.lineSeparator()).append(out);
                    return sb.toString();
                }
                if (thrown != null) {
                    // A warning stays one line, but says what was thrown and where: Netty's own
                    // warnings ("Unexpected exception from an event executor: ") carry nothing else.
                    sb.append(' ').append(oneLine(thrown));
                }
                return sb.append(System.lineSeparator()).toString();
            }
        });
        root.addHandler(handler);
        root.setLevel(level);
    }

    /** {@code Type: message at Class.method(File:line) <- Cause: message ...}, at most three causes deep. */
    static String oneLine(Throwable thrown) {
        StringBuilder sb = new StringBuilder();
        Throwable t = thrown;
        for (int depth = 0; t != null && depth < 4; depth++, t = t.getCause()) {
            if (depth > 0) {
                sb.append(" <- ");
            }
            sb.append(t);
            StackTraceElement[] frames = t.getStackTrace();
            if (frames.length > 0) {
                sb.append(" at ").append(frames[0]);
            }
        }
        return sb.toString();
    }

    private static String levelName(Level l) {
        if (l.intValue() >= Level.SEVERE.intValue()) {
            return "ERROR";
        }
        if (l.intValue() >= Level.WARNING.intValue()) {
            return "WARN ";
        }
        if (l.intValue() >= Level.INFO.intValue()) {
            return "INFO ";
        }
        return "DEBUG";
    }

    static void println(PrintStream out, String line) {
        out.println(line);
        out.flush();
    }
}
