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
                        .append(formatMessage(r)).append(System.lineSeparator());
                if (r.getThrown() != null && r.getLevel().intValue() >= Level.SEVERE.intValue()) {
                    var out = new StringWriter();
                    r.getThrown().printStackTrace(new PrintWriter(out));
                    sb.append(out);
                }
                return sb.toString();
            }
        });
        root.addHandler(handler);
        root.setLevel(level);
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
