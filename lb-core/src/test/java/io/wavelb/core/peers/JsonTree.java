package io.wavelb.core.peers;

import static org.assertj.core.api.Assertions.fail;

import io.wavelb.json.Json;
import java.util.List;
import java.util.Map;

/**
 * Reads values out of a peer's JSON report by dotted path ("end.sum_received.bytes"), parsed by the
 * project's codec with {@link Json.DuplicateKeys#LAST_WINS}: our admin API refuses duplicate keys,
 * but iperf3 3.12 writes {@code sock_bufsize} twice in a {@code -P 4} report. Anything else
 * malformed fails the test.
 */
final class JsonTree {

    private final Object root;
    private final String source;

    private JsonTree(Object root, String source) {
        this.root = root;
        this.source = source;
    }

    static JsonTree parse(String text, String source) {
        try {
            return new JsonTree(Json.parse(text, Json.DuplicateKeys.LAST_WINS), source);
        } catch (Json.JsonException e) {
            return fail("%s is not JSON (%s):%n%s", source, e.getMessage(), text);
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
