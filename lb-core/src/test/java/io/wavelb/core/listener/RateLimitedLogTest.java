package io.wavelb.core.listener;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * A rate-limited warning: the first is logged with its prefix, the rest of the interval only
 * counted (their text never built: a flood drives these paths), the next one says how many were.
 */
class RateLimitedLogTest {

    /** Keeps what is logged. */
    private static final class Kept implements System.Logger {
        final List<String> lines = new ArrayList<>();

        @Override
        public String getName() {
            return "kept";
        }

        @Override
        public boolean isLoggable(Level level) {
            return true;
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
            lines.add(msg);
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
            lines.add(format);
        }

        @Override
        public void log(Level level, Supplier<String> msgSupplier) {
            lines.add(msgSupplier.get());
        }
    }

    /** Counts how often its text was built. */
    private static final class Detail {
        int built;

        @Override
        public String toString() {
            built++;
            return "detail";
        }
    }

    @Test
    void logsTheFirstCountsTheRestWithoutBuildingTheirTextAndSaysHowManyNext() throws InterruptedException {
        Kept logger = new Kept();
        long interval = TimeUnit.MILLISECONDS.toNanos(200);
        RateLimitedLog log = new RateLimitedLog(logger, interval, "listener 'x': ");
        Detail detail = new Detail();
        log.warn("dropped: ", detail);
        for (int i = 0; i < 5; i++) {
            log.warn("dropped: ", detail);
            log.warn("to ", detail, " failed: ", detail);
        }
        assertThat(logger.lines).containsExactly("listener 'x': dropped: detail");
        assertThat(detail.built).as("texts built: only the one logged").isEqualTo(1);
        long until = System.nanoTime() + interval;
        while (System.nanoTime() - until < 0) {
            Thread.sleep(10);
        }
        log.warn("to ", detail, " failed: ", detail);
        assertThat(logger.lines).last().isEqualTo("listener 'x': to detail failed: detail (10 similar suppressed)");
    }
}
