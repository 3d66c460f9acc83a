package io.wavelb.config;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Bytes given in the config as text ({@code "ping"}) or hex ({@code "hex:0a0b"}). Immutable: the
 * array is copied in and out.
 */
public final class Payload {

    public static final Payload EMPTY = new Payload(new byte[0]);

    private final byte[] bytes;

    private Payload(byte[] bytes) {
        this.bytes = bytes;
    }

    public static Payload of(byte[] bytes) {
        return new Payload(bytes.clone());
    }

    /**
     * {@code hex:} followed by an even number of hex digits, or else the UTF-8 bytes of the text.
     *
     * @throws IllegalArgumentException for a bad hex string, with a message fit for a Problem
     */
    public static Payload parse(String text) {
        if (text.startsWith("hex:")) {
            String hex = text.substring(4);
            try {
                return new Payload(HexFormat.of().parseHex(hex));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("'" + text + "': after 'hex:' expected an even number of hex digits");
            }
        }
        return new Payload(text.getBytes(StandardCharsets.UTF_8));
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    public int length() {
        return bytes.length;
    }

    public boolean isEmpty() {
        return bytes.length == 0;
    }

    /** True when {@code data[offset..offset+length)} starts with these bytes. */
    public boolean isPrefixOf(byte[] data, int offset, int length) {
        return length >= bytes.length && Arrays.equals(bytes, 0, bytes.length, data, offset, offset + bytes.length);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Payload p && Arrays.equals(bytes, p.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        boolean printable = true;
        for (byte b : bytes) {
            if (b < 0x20 || b > 0x7e) {
                printable = false;
                break;
            }
        }
        return printable ? new String(bytes, StandardCharsets.US_ASCII) : "hex:" + HexFormat.of().formatHex(bytes);
    }
}
