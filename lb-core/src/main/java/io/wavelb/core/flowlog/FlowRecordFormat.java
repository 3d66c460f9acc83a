package io.wavelb.core.flowlog;

import io.wavelb.config.FlowLogConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * A {@link FlowRecord} as one line: a JSON object or logfmt {@code key=value} pairs, the same keys
 * in the same order (documented in docs/operations.md, "Flow logs"). One instance per writer
 * thread: it keeps the last second it formatted. Addresses are written as numbers ({@code 192.0.2.1:5000}, {@code [2001:db8::1]:5000}):
 * never a name lookup.
 */
public final class FlowRecordFormat {

    /** Always three fraction digits, so the lines sort and align (ISO_INSTANT drops zero fractions). */
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private final boolean json;
    /** The last whole second formatted and its text up to the dot: records come in bursts of the same second. */
    private long cachedSecond = Long.MIN_VALUE;
    private String cachedPrefix;

    public FlowRecordFormat(FlowLogConfig.Format format) {
        this.json = format == FlowLogConfig.Format.JSON;
    }

    /** Appends {@code r} as one line, its newline included. */
    public void append(FlowRecord r, StringBuilder out) {
        Line line = json ? new Json(out) : new Logfmt(out);
        long endMillis = r.startMillis() + r.durationNanos() / 1_000_000;
        line.string("time", time(r.event() == FlowRecord.Event.START ? r.startMillis() : endMillis));
        line.string("event", r.event().label());
        line.string("listener", r.listener());
        line.string("protocol", r.protocol());
        line.string("client", address(r.client()));
        line.string("local", r.local() == null ? null : address(r.local()));
        line.string("target", r.target() == null ? null : address(r.target()));
        line.string("start", time(r.startMillis()));
        line.raw("duration_ms", millis(r.durationNanos()));
        line.number("bytes_from_client", r.bytesFromClient());
        line.number("bytes_to_client", r.bytesToClient());
        if (r.datagramsFromClient() >= 0) {
            line.number("datagrams_from_client", r.datagramsFromClient());
            line.number("datagrams_to_client", r.datagramsToClient());
        }
        if (r.reason() != null) {
            line.string("end_reason", r.reason().label());
        }
        if (r.route() != null) {
            line.string("route", r.route());
        }
        line.end();
    }

    /** The line of {@code r} alone, newline included. */
    public String format(FlowRecord r) {
        StringBuilder sb = new StringBuilder(256);
        append(r, sb);
        return sb.toString();
    }

    /** {@code 2026-12-05T10:00:02.623Z}: the formatter runs once per second, not per record. */
    String time(long epochMillis) {
        long second = Math.floorDiv(epochMillis, 1000);
        if (second != cachedSecond) {
            String full = TIME.format(Instant.ofEpochMilli(second * 1000));
            cachedPrefix = full.substring(0, full.length() - 4);
            cachedSecond = second;
        }
        int ms = (int) Math.floorMod(epochMillis, 1000);
        return cachedPrefix + (ms < 10 ? "00" : ms < 100 ? "0" : "") + ms + "Z";
    }

    static String address(InetSocketAddress a) {
        InetAddress ip = a.getAddress();
        String host = ip == null ? a.getHostString() : ip.getHostAddress();
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + a.getPort() : host + ":" + a.getPort();
    }

    /** Nanoseconds as milliseconds with three decimals (microseconds), without floating point. */
    static String millis(long nanos) {
        long micros = Math.max(0, nanos) / 1_000;
        long frac = micros % 1_000;
        return (micros / 1_000) + "." + (frac < 10 ? "00" : frac < 100 ? "0" : "") + frac;
    }

    private sealed interface Line permits Json, Logfmt {
        /** A string value; null leaves the key out. */
        void string(String key, String value);

        /** A value written as is: a number. */
        void raw(String key, String value);

        default void number(String key, long value) {
            raw(key, Long.toString(value));
        }

        void end();
    }

    private static final class Json implements Line {
        private final StringBuilder out;
        private boolean first = true;

        Json(StringBuilder out) {
            this.out = out;
            out.append('{');
        }

        private void key(String key) {
            if (!first) {
                out.append(',');
            }
            first = false;
            out.append('"').append(key).append("\":");
        }

        @Override
        public void string(String key, String value) {
            if (value == null) {
                return;
            }
            key(key);
            out.append('"');
            // RFC 8259 §7: quote, backslash and the control characters must be escaped.
            escapeInto(out, value);
            out.append('"');
        }

        @Override
        public void raw(String key, String value) {
            key(key);
            out.append(value);
        }

        @Override
        public void end() {
            out.append("}\n");
        }
    }

    /**
     * {@code value} with quote, backslash and control characters escaped, as JSON strings (RFC 8259
     * §7) and quoted logfmt values both take them.
     */
    private static void escapeInto(StringBuilder out, String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
    }

    /**
     * logfmt as Heroku and Grafana Loki's {@code | logfmt} read it: {@code key=value}, separated by
     * spaces; a value that is empty or holds a space, {@code =} or {@code "} is quoted, with
     * {@code "} and {@code \} escaped by a backslash and control characters as {@code \n}-style escapes.
     */
    private static final class Logfmt implements Line {
        private final StringBuilder out;
        private boolean first = true;

        Logfmt(StringBuilder out) {
            this.out = out;
        }

        private void key(String key) {
            if (!first) {
                out.append(' ');
            }
            first = false;
            out.append(key).append('=');
        }

        @Override
        public void string(String key, String value) {
            if (value == null) {
                return;
            }
            key(key);
            if (!needsQuotes(value)) {
                out.append(value);
                return;
            }
            out.append('"');
            escapeInto(out, value);
            out.append('"');
        }

        private static boolean needsQuotes(String value) {
            if (value.isEmpty()) {
                return true;
            }
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c <= ' ' || c == '=' || c == '"' || c == '\\' || c == 0x7f) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public void raw(String key, String value) {
            key(key);
            out.append(value);
        }

        @Override
        public void end() {
            out.append('\n');
        }
    }
}
