package io.wavelb.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the duration syntax of the config: a whole number and one unit, {@code 50us} (microseconds,
 * for the few settings that small), {@code 250ms}, {@code 30s}, {@code 5m}, {@code 1h}. A bare number is refused because {@code 30} could mean seconds or
 * milliseconds, and guessing wrong on a timeout is silent and costly.
 */
final class Durations {

    private static final Pattern DURATION = Pattern.compile("([0-9]+)(us|ms|s|m|h)");
    private static final Pattern BARE_NUMBER = Pattern.compile("[0-9]+");
    /** More digits than any duration that fits a {@link Duration} in milliseconds arithmetic needs. */
    private static final int MAX_DIGITS = 12;

    private Durations() {
    }

    /** Throws {@link IllegalArgumentException} with a message fit to show the user. */
    static Duration parse(String text) {
        if (text.startsWith("-")) {
            throw new IllegalArgumentException("duration '" + text + "' is negative");
        }
        if (BARE_NUMBER.matcher(text).matches()) {
            throw new IllegalArgumentException("duration '" + text + "' has no unit (add one, as in "
                    + text + "s; units: us, ms, s, m, h)");
        }
        Matcher m = DURATION.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text
                    + "' is not a duration (expected a whole number and a unit: us, ms, s, m or h, as in 30s)");
        }
        String digits = m.group(1);
        if (digits.length() > MAX_DIGITS) {
            throw new IllegalArgumentException("duration '" + text + "' is too large");
        }
        long amount = Long.parseLong(digits);
        return switch (m.group(2)) {
            case "us" -> Duration.ofNanos(Math.multiplyExact(amount, 1000L));
            case "ms" -> Duration.ofMillis(amount);
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            default -> throw new IllegalStateException("unit matched by the pattern: " + m.group(2));
        };
    }

    /** The shortest exact spelling in the config's own syntax, e.g. {@code 90s}, {@code 1500ms}. */
    static String format(Duration d) {
        if (d.toNanos() % 1_000_000 != 0) {
            return d.toNanos() / 1000 + "us";
        }
        long ms = d.toMillis();
        if (ms % 3_600_000 == 0 && ms != 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0 && ms != 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }
}
