package io.wavelb.config;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Typed reads of YAML nodes that know nothing of the schema: known keys of a mapping, list items,
 * text, integers, sizes, durations, booleans, choices, addresses, names. A value that is wrong is
 * reported at its {@code file:line:column} (through {@link Problems}) and read as {@code null} (or
 * the caller's fallback), so a binder goes on and the operator sees every problem at once.
 *
 * <p>The schema binders ({@link DocumentBinder}, {@link ListenerBinder}, {@link TargetGroupBinder},
 * {@link HealthCheckBinder}, {@link OutlierDetectionBinder}, {@link AdminBinder},
 * {@link RuntimeBinder}, {@link AgentBinder}) say which keys exist and what they mean; this class
 * says how a node is read, so a problem reads the same in every section.
 */
final class NodeReader {

    /** Names become metric tags and log fields: lowercase, no spaces, no quoting needed anywhere. */
    static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_.-]*");
    static final int MAX_NAME_LENGTH = 64;
    /** Every duration is at most a day unless a key says otherwise. */
    static final Duration MAX_DURATION = Duration.ofHours(24);
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9._-]+");
    private static final Pattern DECIMAL = Pattern.compile("[-+]?(0|[1-9][0-9]*)");
    /** Plain YAML only. Other standard tags (!!set, !!binary, !!omap...) and local tags (!foo) are refused. */
    private static final Set<Tag> PLAIN_TAGS =
            Set.of(Tag.STR, Tag.INT, Tag.FLOAT, Tag.BOOL, Tag.NULL, Tag.TIMESTAMP, Tag.MAP, Tag.SEQ);

    private final Problems problems;

    NodeReader(Problems problems) {
        this.problems = problems;
    }

    /** Where the binders report problems that are about meaning rather than reading. */
    Problems problems() {
        return problems;
    }

    // ---- shape ---------------------------------------------------------------------------------

    /**
     * The known entries of {@code map} by key. Unknown, duplicate, tagged and non-scalar keys are
     * reported (at the key) and left out.
     */
    Map<String, NodeTuple> fields(MappingNode map, String path, List<String> allowed) {
        Map<String, NodeTuple> fields = new LinkedHashMap<>();
        Map<String, Node> seen = new HashMap<>();
        for (NodeTuple entry : map.getValue()) {
            Node key = entry.getKeyNode();
            if (Tag.MERGE.equals(key.getTag())) {
                problems.at(key, path, "merge keys ('<<') are not supported (write the keys out)");
                continue;
            }
            if (!plainTag(key, path)) {
                continue;
            }
            if (!(key instanceof ScalarNode scalar) || isNull(key)) {
                problems.at(key, path, "keys must be plain words, got " + describe(key));
                continue;
            }
            String name = scalar.getValue();
            Node first = seen.putIfAbsent(name, key);
            if (first != null) {
                problems.at(key, path, "duplicate key '" + name + "' (first at " + Problems.where(first) + ")");
            } else if (!allowed.contains(name)) {
                problems.at(key, path, "unknown key '" + name + "' " + Spelling.closest(name, allowed)
                        .map(s -> "(did you mean '" + s + "'?)")
                        .orElse("(expected one of: " + String.join(", ", allowed) + ")"));
            } else {
                fields.put(name, entry);
            }
        }
        return fields;
    }

    static Node value(Map<String, NodeTuple> fields, String key) {
        NodeTuple entry = fields.get(key);
        return entry == null ? null : entry.getValueNode();
    }

    /** The value of a key that must be present; a missing one is reported at the mapping that lacks it. */
    Node required(Map<String, NodeTuple> fields, MappingNode map, String path, String key) {
        Node node = value(fields, key);
        if (node == null) {
            problems.at(map, path, "missing required key '" + key + "'");
        }
        return node;
    }

    /** An optional mapping; {@code null} (defaults) when absent or written with no value. */
    MappingNode section(Map<String, NodeTuple> fields, String key, String path) {
        Node node = value(fields, key);
        return node == null || isNull(node) ? null : mapping(node, path);
    }

    MappingNode mapping(Node node, String path) {
        if (!plainTag(node, path)) {
            return null;
        }
        if (node instanceof MappingNode map) {
            return map;
        }
        problems.at(node, path, "expected a mapping, got " + describe(node));
        return null;
    }

    /** The items of a list; a key written with no value is an empty list. {@code null} on a type problem. */
    List<Node> items(Node node, String path) {
        if (!plainTag(node, path)) {
            return null;
        }
        if (isNull(node)) {
            return List.of();
        }
        if (node instanceof SequenceNode seq) {
            return seq.getValue();
        }
        problems.at(node, path, "expected a list, got " + describe(node));
        return null;
    }

    private boolean plainTag(Node node, String path) {
        if (PLAIN_TAGS.contains(node.getTag())) {
            return true;
        }
        problems.at(node, path, SafeYamlLoader.tagMessage(node.getTag()));
        return false;
    }

    // ---- values --------------------------------------------------------------------------------

    /** The text of a scalar. YAML 1.1 reads {@code on} or {@code 123} as bool or int; for text, take the text. */
    String text(Node node, String path, String expected) {
        if (!plainTag(node, path)) {
            return null;
        }
        if (!(node instanceof ScalarNode scalar)) {
            problems.at(node, path, "expected " + expected + ", got " + describe(node));
            return null;
        }
        if (isNull(node)) {
            problems.at(node, path, "missing value (expected " + expected + ")");
            return null;
        }
        return scalar.getValue();
    }

    /**
     * The step every typed value shares: the text of the node, then {@code parse}; when the parser
     * refuses the text (an {@link IllegalArgumentException}, which includes
     * {@link NumberFormatException} and {@link java.nio.file.InvalidPathException}), its message is
     * the problem. {@code null} after a problem.
     */
    <T> T parsed(Node node, String path, String expected, Function<String, T> parse) {
        return parsed(node, path, expected, parse, (text, refusal) -> refusal.getMessage());
    }

    /** As {@link #parsed(Node, String, String, Function)}, the problem worded by {@code problem(text, refusal)}. */
    <T> T parsed(Node node, String path, String expected, Function<String, T> parse,
                 BiFunction<String, IllegalArgumentException, String> problem) {
        String text = text(node, path, expected);
        if (text == null) {
            return null;
        }
        try {
            return parse.apply(text);
        } catch (IllegalArgumentException refusal) {
            problems.at(node, path, problem.apply(text, refusal));
            return null;
        }
    }

    String name(Node node, String path) {
        String name = text(node, path, "a name");
        if (name == null) {
            return null;
        }
        if (name.length() > MAX_NAME_LENGTH || !NAME.matcher(name).matches()) {
            problems.at(node, path, "name '" + name + "' is not valid (expected 1.." + MAX_NAME_LENGTH
                    + " characters of a-z, 0-9, '_', '.', '-', starting with a letter or digit)");
            return null;
        }
        return name;
    }

    HostPort hostPort(Node node, String path) {
        HostPort address = parsed(node, path, "an address host:port", HostPort::parse);
        if (address == null) {
            return null;
        }
        if (!address.isIpv6Literal() && !HOST.matcher(address.host()).matches()) {
            problems.at(node, path, "'" + ((ScalarNode) node).getValue() + "': host '" + address.host()
                    + "' is not an IP address or host name");
            return null;
        }
        return address;
    }

    /** Hex digits, optionally prefixed {@code 0x}; {@code null} with a problem otherwise. */
    HexBytes hex(Node node, String path, String expected) {
        return parsed(node, path, expected, HexBytes::parse,
                (text, refusal) -> "'" + text + "' is not " + expected + " (an even number of 0-9a-f digits)");
    }

    <E> E choice(Node node, String path, List<E> values, Function<E, String> yamlName, String expected) {
        return choice(node, path, values, yamlName, expected, false);
    }

    /** {@code listAll}: name every option even when one is suggested. */
    <E> E choice(Node node, String path, List<E> values, Function<E, String> yamlName, String expected,
                 boolean listAll) {
        String text = text(node, path, expected);
        if (text == null) {
            return null;
        }
        List<String> names = values.stream().map(yamlName).toList();
        int index = names.indexOf(text);
        if (index >= 0) {
            return values.get(index);
        }
        String options = "expected one of: " + String.join(", ", names);
        problems.at(node, path, "'" + text + "' is not " + expected + " " + Spelling.closest(text, names)
                .map(s -> "(did you mean '" + s + "'?" + (listAll ? " " + options : "") + ")")
                .orElse("(" + options + ")"));
        return null;
    }

    int integerOr(Map<String, NodeTuple> fields, String key, String path, int min, int max, int fallback) {
        Node node = value(fields, key);
        Integer value = node == null ? null : integer(node, path.isEmpty() ? key : path + "." + key, min, max, key);
        return value == null ? fallback : value;
    }

    /**
     * Only a plain YAML integer is an integer: a quoted {@code "5"} is a string and is refused, so a
     * value means the same to wavelb as to any other YAML tool. Hex, octal and sexagesimal forms that
     * YAML 1.1 allows are refused too: nobody means {@code 1:30} to be 90.
     */
    Integer integer(Node node, String path, int min, int max, String label) {
        if (!plainTag(node, path)) {
            return null;
        }
        String expected = "an integer " + min + ".." + max;
        if (!(node instanceof ScalarNode scalar)) {
            problems.at(node, path, "expected " + expected + ", got " + describe(node));
            return null;
        }
        if (isNull(node)) {
            problems.at(node, path, "missing value (expected " + expected + ")");
            return null;
        }
        if (!Tag.INT.equals(node.getTag()) || scalar.getScalarStyle() != DumperOptions.ScalarStyle.PLAIN) {
            String hint = scalar.getScalarStyle() != DumperOptions.ScalarStyle.PLAIN
                    && DECIMAL.matcher(scalar.getValue()).matches() ? "; remove the quotes" : "";
            problems.at(node, path, "expected " + expected + ", got " + describe(node) + hint);
            return null;
        }
        String digits = scalar.getValue().replace("_", "");
        if (!DECIMAL.matcher(digits).matches()) {
            problems.at(node, path, "'" + scalar.getValue() + "' (expected a decimal integer " + min + ".." + max + ")");
            return null;
        }
        long value;
        try {
            value = Long.parseLong(digits);
        } catch (NumberFormatException tooLong) {
            value = digits.startsWith("-") ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        if (value < min || value > max) {
            problems.at(node, path, label + " " + digits + " (expected " + min + ".." + max + ")");
            return null;
        }
        return (int) value;
    }

    long bytesOr(Map<String, NodeTuple> fields, String key, String path, long min, long max, long fallback) {
        Node node = value(fields, key);
        if (node == null) {
            return fallback;
        }
        String at = path + "." + key;
        Long bytes = parsed(node, at, "a size such as 512MiB", ByteSizes::parse);
        if (bytes == null) {
            return fallback;
        }
        if (bytes < min || bytes > max) {
            problems.at(node, at, key + " " + ((ScalarNode) node).getValue() + " (expected " + ByteSizes.format(min)
                    + ".." + ByteSizes.format(max) + ")");
            return fallback;
        }
        return bytes;
    }

    Duration durationOr(Map<String, NodeTuple> fields, String key, String path, Duration min, Duration fallback) {
        return durationOr(fields, key, path, min, MAX_DURATION, fallback);
    }

    Duration durationOr(Map<String, NodeTuple> fields, String key, String path, Duration min, Duration max,
                        Duration fallback) {
        Node node = value(fields, key);
        Duration duration = node == null ? null : duration(node, key, path + "." + key, min, max);
        return duration == null ? fallback : duration;
    }

    /** {@code null} when the value is not a duration in {@code min..max}; a problem then says why. */
    Duration duration(Node node, String key, String path, Duration min, Duration max) {
        Duration duration = parsed(node, path, "a duration such as 30s", Durations::parse);
        if (duration == null) {
            return null;
        }
        if (duration.compareTo(min) < 0 || duration.compareTo(max) > 0) {
            problems.at(node, path, key + " " + ((ScalarNode) node).getValue() + " (expected " + Durations.format(min)
                    + ".." + Durations.format(max) + ")");
            return null;
        }
        return duration;
    }

    /** Only {@code true} or {@code false}: YAML 1.1's yes/no/on/off are refused, as is a quoted "true". */
    Boolean bool(Node node, String path) {
        if (!plainTag(node, path)) {
            return null;
        }
        if (!(node instanceof ScalarNode scalar)) {
            problems.at(node, path, "expected true or false, got " + describe(node));
            return null;
        }
        if (isNull(node)) {
            problems.at(node, path, "missing value (expected true or false)");
            return null;
        }
        String value = scalar.getValue();
        boolean plain = scalar.getScalarStyle() == DumperOptions.ScalarStyle.PLAIN;
        if (plain && Tag.BOOL.equals(node.getTag()) && (value.equals("true") || value.equals("false"))) {
            return value.equals("true");
        }
        String hint = !plain && (value.equals("true") || value.equals("false")) ? "; remove the quotes" : "";
        problems.at(node, path, "expected true or false, got " + describe(node) + hint);
        return null;
    }

    static boolean isNull(Node node) {
        return Tag.NULL.equals(node.getTag());
    }

    /** How a node reads to the person who wrote it, for "expected X, got Y". */
    static String describe(Node node) {
        return switch (node.getNodeId()) {
            case mapping -> "a mapping";
            case sequence -> "a list";
            case anchor -> "an alias";
            case scalar -> describeScalar((ScalarNode) node);
        };
    }

    private static String describeScalar(ScalarNode node) {
        String value = node.getValue().length() > 40 ? node.getValue().substring(0, 40) + "..." : node.getValue();
        if (node.getScalarStyle() != DumperOptions.ScalarStyle.PLAIN) {
            return "the string \"" + value + "\"";
        }
        Tag tag = node.getTag();
        if (Tag.NULL.equals(tag)) {
            return "nothing";
        }
        if (Tag.INT.equals(tag)) {
            return "the integer " + value;
        }
        if (Tag.FLOAT.equals(tag)) {
            return "the number " + value;
        }
        if (Tag.BOOL.equals(tag)) {
            return "the boolean " + value;
        }
        return "'" + value + "'";
    }
}
