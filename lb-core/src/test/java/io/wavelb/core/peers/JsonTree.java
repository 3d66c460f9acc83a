package io.wavelb.core.peers;

import static org.assertj.core.api.Assertions.fail;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads values out of a peer's JSON report by dotted path ("end.sum_received.bytes"). Its own
 * lenient reader, not {@code io.wavelb.core.json.Json}: that one rejects duplicate keys, as an admin
 * API should, and iperf3 3.12 writes {@code sock_bufsize} twice in a {@code -P 4} report. Here the
 * last duplicate wins; anything else malformed fails the test.
 */
final class JsonTree {

    private final Object root;
    private final String source;

    private JsonTree(Object root, String source) {
        this.root = root;
        this.source = source;
    }

    static JsonTree parse(String text, String source) {
        Reader r = new Reader(text);
        try {
            Object value = r.value(0);
            r.space();
            if (r.pos != text.length()) {
                throw new IllegalArgumentException("trailing text");
            }
            return new JsonTree(value, source);
        } catch (RuntimeException e) {
            return fail("%s is not JSON (%s at offset %d):%n%s", source, e.getMessage(), r.pos, text);
        }
    }

    /** Recursive descent over RFC 8259, depth-limited; numbers become Double. */
    private static final class Reader {
        private final String s;
        private int pos;

        Reader(String s) {
            this.s = s;
        }

        void space() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                pos++;
            }
        }

        private char peek() {
            space();
            if (pos >= s.length()) {
                throw new IllegalArgumentException("unexpected end");
            }
            return s.charAt(pos);
        }

        private void expect(char c) {
            if (peek() != c) {
                throw new IllegalArgumentException("expected '" + c + "'");
            }
            pos++;
        }

        Object value(int depth) {
            if (depth > 64) {
                throw new IllegalArgumentException("nested too deep");
            }
            char c = peek();
            switch (c) {
                case '{' -> {
                    pos++;
                    Map<String, Object> map = new LinkedHashMap<>();
                    if (peek() == '}') {
                        pos++;
                        return map;
                    }
                    while (true) {
                        String key = string();
                        expect(':');
                        map.put(key, value(depth + 1));
                        if (peek() == ',') {
                            pos++;
                        } else {
                            expect('}');
                            return map;
                        }
                    }
                }
                case '[' -> {
                    pos++;
                    List<Object> list = new ArrayList<>();
                    if (peek() == ']') {
                        pos++;
                        return list;
                    }
                    while (true) {
                        list.add(value(depth + 1));
                        if (peek() == ',') {
                            pos++;
                        } else {
                            expect(']');
                            return list;
                        }
                    }
                }
                case '"' -> {
                    return string();
                }
                default -> {
                    for (String word : List.of("true", "false", "null")) {
                        if (s.startsWith(word, pos)) {
                            pos += word.length();
                            return word.equals("null") ? null : Boolean.valueOf(word);
                        }
                    }
                    int start = pos;
                    while (pos < s.length() && "+-0123456789.eE".indexOf(s.charAt(pos)) >= 0) {
                        pos++;
                    }
                    if (start == pos) {
                        throw new IllegalArgumentException("unexpected '" + c + "'");
                    }
                    return Double.parseDouble(s.substring(start, pos));
                }
            }
        }

        private String string() {
            expect('"');
            StringBuilder out = new StringBuilder();
            while (true) {
                if (pos >= s.length()) {
                    throw new IllegalArgumentException("unterminated string");
                }
                char c = s.charAt(pos++);
                if (c == '"') {
                    return out.toString();
                }
                if (c != '\\') {
                    out.append(c);
                    continue;
                }
                char e = s.charAt(pos++);
                switch (e) {
                    case 'n' -> out.append('\n');
                    case 't' -> out.append('\t');
                    case 'r' -> out.append('\r');
                    case 'b' -> out.append('\b');
                    case 'f' -> out.append('\f');
                    case 'u' -> {
                        out.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
                        pos += 4;
                    }
                    default -> out.append(e);
                }
            }
        }
    }

    /** The value at {@code path}, or null when any step is missing. */
    Object find(String path) {
        Object node = root;
        for (String step : path.split("\\.")) {
            if (node instanceof Map<?, ?> map) {
                node = map.get(step);
            } else {
                return null;
            }
        }
        return node;
    }

    double number(String path) {
        Object v = find(path);
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        return fail("%s: %s is %s, expected a number", source, path, v);
    }

    List<?> list(String path) {
        Object v = find(path);
        if (v instanceof List<?> l) {
            return l;
        }
        return fail("%s: %s is %s, expected a list", source, path, v);
    }

    JsonTree child(Object node) {
        return new JsonTree(node, source);
    }
}
