package io.wavelb.config;

import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;

/**
 * Bytes written in hex in the config (a QUIC-LB server ID or key). Held as lowercase hex text so the
 * record compares by value, which the reload diff relies on.
 */
public record HexBytes(String hex) {

    public HexBytes {
        Objects.requireNonNull(hex, "hex");
        hex = hex.toLowerCase(Locale.ROOT);
        if (hex.isEmpty() || hex.length() % 2 != 0) {
            throw new IllegalArgumentException("hex text needs an even, non-zero number of digits: '" + hex + "'");
        }
        HexFormat.of().parseHex(hex);
    }

    /** Hex as people write it: {@code "0x0001"} or {@code "0001"}, either case. */
    public static HexBytes parse(String text) {
        return new HexBytes(withoutPrefix(text));
    }

    /** The digits of {@code text}, without a leading {@code 0x} or {@code 0X}. */
    public static String withoutPrefix(String text) {
        return text.startsWith("0x") || text.startsWith("0X") ? text.substring(2) : text;
    }

    public static HexBytes of(byte[] bytes) {
        return new HexBytes(HexFormat.of().formatHex(bytes));
    }

    /** A fresh copy. */
    public byte[] bytes() {
        return HexFormat.of().parseHex(hex);
    }

    public int length() {
        return hex.length() / 2;
    }

    @Override
    public String toString() {
        return "0x" + hex;
    }
}
