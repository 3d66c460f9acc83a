package io.wavelb.config;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the byte-size syntax of the config: a whole number and one binary unit, {@code 512MiB},
 * {@code 2GiB}. A bare number is refused for the reason {@link Durations} refuses one: {@code 512}
 * could mean bytes or megabytes. Units are binary only (the JVM's {@code -XX:MaxDirectMemorySize=512m}
 * is 512 MiB too), so {@code MB} is refused with a hint rather than silently read as 10^6.
 */
final class ByteSizes {

    private static final Pattern SIZE = Pattern.compile("([0-9]+)(KiB|MiB|GiB|TiB)");
    private static final Pattern BARE_NUMBER = Pattern.compile("[0-9]+");
    private static final Pattern DECIMAL_UNIT = Pattern.compile("([0-9]+)\\s*([kKmMgGtT])[bB]?");
    private static final int MAX_DIGITS = 9;

    private ByteSizes() {
    }

    /** Throws {@link IllegalArgumentException} with a message fit to show the user. */
    static long parse(String text) {
        if (text.startsWith("-")) {
            throw new IllegalArgumentException("size '" + text + "' is negative");
        }
        if (BARE_NUMBER.matcher(text).matches()) {
            throw new IllegalArgumentException("size '" + text + "' has no unit (add one, as in " + text
                    + "MiB; units: KiB, MiB, GiB, TiB)");
        }
        Matcher m = SIZE.matcher(text);
        if (!m.matches()) {
            Matcher d = DECIMAL_UNIT.matcher(text);
            String hint = d.matches() ? " (did you mean " + d.group(1) + d.group(2).toUpperCase(java.util.Locale.ROOT)
                    + "iB?)" : " (expected a whole number and a unit: KiB, MiB, GiB or TiB, as in 512MiB)";
            throw new IllegalArgumentException("'" + text + "' is not a size" + hint);
        }
        String digits = m.group(1);
        if (digits.length() > MAX_DIGITS) {
            throw new IllegalArgumentException("size '" + text + "' is too large");
        }
        long amount = Long.parseLong(digits);
        int shift = switch (m.group(2)) {
            case "KiB" -> 10;
            case "MiB" -> 20;
            case "GiB" -> 30;
            case "TiB" -> 40;
            default -> throw new IllegalStateException("unit matched by the pattern: " + m.group(2));
        };
        return amount << shift;
    }

    /** The largest exact unit, as the config spells it: {@code 512MiB}, {@code 1536KiB}. */
    static String format(long bytes) {
        String[] units = {"TiB", "GiB", "MiB", "KiB"};
        int[] shifts = {40, 30, 20, 10};
        for (int i = 0; i < units.length; i++) {
            if (bytes != 0 && bytes % (1L << shifts[i]) == 0) {
                return (bytes >> shifts[i]) + units[i];
            }
        }
        return bytes + " bytes";
    }
}
