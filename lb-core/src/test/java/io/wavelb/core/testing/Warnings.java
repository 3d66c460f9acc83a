package io.wavelb.core.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** The warnings (and worse) wavelb's own loggers log while a test's action runs. */
public final class Warnings {

    private Warnings() {
    }

    /** The messages of WARNING and above logged by "wavelb" or an "io.wavelb..." logger while {@code action} ran. */
    public static List<String> during(Runnable action) {
        List<String> warnings = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                String name = r.getLoggerName() == null ? "" : r.getLoggerName();
                if (r.getLevel().intValue() >= Level.WARNING.intValue()
                        && (name.equals("wavelb") || name.startsWith("io.wavelb"))) {
                    warnings.add(r.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger root = Logger.getLogger("");
        root.addHandler(capture);
        try {
            action.run();
        } finally {
            root.removeHandler(capture);
        }
        return warnings;
    }
}
