package io.wavelb.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import io.wavelb.config.HealthCheckConfig.HealthProtocol;
import io.wavelb.config.HealthCheckConfig.StatusRange;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;

/**
 * A target group's {@code health_check:} section (the active check). Which keys a protocol takes:
 * {@code send} udp only (required there); {@code expect} udp (reply prefix) and http (status
 * range), not tcp; {@code path} http and, tolerated because the design issue's own example has it,
 * udp (kept, unused); not tcp. A key a protocol would silently ignore is an error, as a 'udp'
 * section on a tcp listener is.
 */
final class HealthCheckBinder {

    static final List<String> HEALTH_CHECK_KEYS = List.of("protocol", "port", "send", "expect", "path",
            "interval", "timeout", "healthy_threshold", "unhealthy_threshold");
    static final Duration MIN_HEALTH_INTERVAL = Duration.ofMillis(100);
    static final Duration MAX_HEALTH_INTERVAL = Duration.ofSeconds(300);
    static final Duration MIN_HEALTH_TIMEOUT = Duration.ofMillis(10);
    static final Duration MAX_HEALTH_TIMEOUT = Duration.ofSeconds(60);
    static final int MAX_HEALTH_THRESHOLD = 10;
    /** {@code 200} or {@code 200-399}; the range of each number is checked after the match. */
    private static final Pattern STATUS = Pattern.compile("([0-9]{3})(?:-([0-9]{3}))?");

    private final NodeReader reader;
    private final Problems problems;

    HealthCheckBinder(NodeReader reader) {
        this.reader = reader;
        this.problems = reader.problems();
    }

    /** {@code null} when the check cannot be built (a problem says why). */
    HealthCheckConfig bind(NodeTuple entry, String path) {
        Node node = entry.getValueNode();
        if (NodeReader.isNull(node)) {
            problems.at(entry.getKeyNode(), path, "missing required key 'protocol' (an empty health_check has no "
                    + "protocol; remove the key for no active check)");
            return null;
        }
        MappingNode map = reader.mapping(node, path);
        if (map == null) {
            return null;
        }
        Map<String, NodeTuple> f = reader.fields(map, path, HEALTH_CHECK_KEYS);
        Node protocolNode = reader.required(f, map, path, "protocol");
        HealthProtocol protocol = protocolNode == null ? null : reader.choice(protocolNode, path + ".protocol",
                List.of(HealthProtocol.values()), HealthProtocol::yamlName, "a health check protocol", true);
        int port = reader.integerOr(f, "port", path, 1, 65535, 0);

        Payload send = Payload.EMPTY;
        NodeTuple sendEntry = f.get("send");
        if (sendEntry != null) {
            if (protocol != null && protocol != HealthProtocol.UDP) {
                problems.at(sendEntry.getKeyNode(), path + ".send", "send applies only to udp health checks; "
                        + ignoredBecause(protocol));
            } else {
                Payload p = payload(sendEntry.getValueNode(), path + ".send", "send", false);
                send = p == null ? send : p;
            }
        } else if (protocol == HealthProtocol.UDP) {
            problems.at(map, path, "missing required key 'send' (a udp health check needs a datagram to send, "
                    + "as in send: \"ping\" or send: \"hex:0a0b\")");
        }

        Payload expect = Payload.EMPTY;
        StatusRange httpStatus = StatusRange.DEFAULT;
        NodeTuple expectEntry = f.get("expect");
        if (expectEntry != null && protocol != null) {
            switch (protocol) {
                case TCP -> problems.at(expectEntry.getKeyNode(), path + ".expect",
                        "expect applies only to udp and http health checks; " + ignoredBecause(protocol));
                case UDP -> {
                    Payload p = payload(expectEntry.getValueNode(), path + ".expect", "expect", true);
                    expect = p == null ? expect : p;
                }
                case HTTP -> {
                    StatusRange r = statusRange(expectEntry.getValueNode(), path + ".expect");
                    httpStatus = r == null ? httpStatus : r;
                }
            }
        }

        String httpPath = HealthCheckConfig.DEFAULT_PATH;
        NodeTuple pathEntry = f.get("path");
        if (pathEntry != null) {
            if (protocol == HealthProtocol.TCP) {
                problems.at(pathEntry.getKeyNode(), path + ".path", "path applies only to http health checks; "
                        + ignoredBecause(protocol));
            } else {
                String p = httpPath(pathEntry.getValueNode(), path + ".path");
                httpPath = p == null ? httpPath : p;
            }
        }

        Node intervalNode = NodeReader.value(f, "interval");
        Node timeoutNode = NodeReader.value(f, "timeout");
        Duration interval = intervalNode == null ? HealthCheckConfig.DEFAULT_INTERVAL : reader.duration(intervalNode,
                "interval", path + ".interval", MIN_HEALTH_INTERVAL, MAX_HEALTH_INTERVAL);
        Duration timeout = timeoutNode == null ? HealthCheckConfig.DEFAULT_TIMEOUT : reader.duration(timeoutNode,
                "timeout", path + ".timeout", MIN_HEALTH_TIMEOUT, MAX_HEALTH_TIMEOUT);
        // A probe still running when the next is due would overlap it, and its result would arrive late.
        if (interval != null && timeout != null && timeout.compareTo(interval) >= 0) {
            if (timeoutNode != null) {
                problems.at(timeoutNode, path + ".timeout", "timeout " + Durations.format(timeout)
                        + " is not shorter than interval " + Durations.format(interval)
                        + (intervalNode == null ? " (the default)" : "")
                        + "; a probe must end before the next one starts");
            } else {
                problems.at(intervalNode, path + ".interval", "interval " + Durations.format(interval)
                        + " is not longer than timeout " + Durations.format(timeout)
                        + " (the default); set a shorter timeout");
            }
        }
        int healthy = reader.integerOr(f, "healthy_threshold", path, 1, MAX_HEALTH_THRESHOLD,
                HealthCheckConfig.DEFAULT_HEALTHY_THRESHOLD);
        int unhealthy = reader.integerOr(f, "unhealthy_threshold", path, 1, MAX_HEALTH_THRESHOLD,
                HealthCheckConfig.DEFAULT_UNHEALTHY_THRESHOLD);
        if (protocol == null) {
            return null;
        }
        return new HealthCheckConfig(protocol, port, send, expect, httpPath, httpStatus,
                interval == null ? HealthCheckConfig.DEFAULT_INTERVAL : interval,
                timeout == null ? HealthCheckConfig.DEFAULT_TIMEOUT : timeout, healthy, unhealthy);
    }

    private static String ignoredBecause(HealthProtocol protocol) {
        return switch (protocol) {
            case TCP -> "a tcp check only connects and would ignore it";
            case HTTP -> "an http check sends GET with its path and would ignore it";
            case UDP -> "a udp check would ignore it";
        };
    }

    /** Text or {@code hex:...}; at most one datagram's worth. */
    private Payload payload(Node node, String path, String key, boolean mayBeEmpty) {
        Payload payload = reader.parsed(node, path, "text or hex:0a0b...", Payload::parse);
        if (payload == null) {
            return null;
        }
        if (payload.isEmpty() && !mayBeEmpty) {
            problems.at(node, path, key + " is empty (expected at least one byte)");
            return null;
        }
        if (payload.length() > UdpBinder.MAX_DATAGRAM_SIZE) {
            problems.at(node, path, key + " is " + payload.length() + " bytes (expected at most "
                    + UdpBinder.MAX_DATAGRAM_SIZE + ", the largest IPv4 UDP payload)");
            return null;
        }
        return payload;
    }

    private StatusRange statusRange(Node node, String path) {
        String text = reader.text(node, path, "an HTTP status such as 200 or a range such as 200-399");
        if (text == null) {
            return null;
        }
        Matcher m = STATUS.matcher(text);
        if (!m.matches()) {
            problems.at(node, path, "'" + text + "' is not an HTTP status (expected a status such as 200 or a "
                    + "range such as 200-399)");
            return null;
        }
        int min = Integer.parseInt(m.group(1));
        int max = m.group(2) == null ? min : Integer.parseInt(m.group(2));
        if (min < 100 || max > 599 || min > 599 || max < 100) {
            problems.at(node, path, "'" + text + "': HTTP statuses are 100..599");
            return null;
        }
        if (min > max) {
            problems.at(node, path, "'" + text + "': the range is backwards (expected low-high, as in "
                    + max + "-" + min + ")");
            return null;
        }
        return new StatusRange(min, max);
    }

    /** Goes into the request line as written, so it must be an origin-form path without spaces. */
    private String httpPath(Node node, String path) {
        String text = reader.text(node, path, "a path such as /healthz");
        if (text == null) {
            return null;
        }
        if (!text.startsWith("/")) {
            problems.at(node, path, "path '" + text + "' must start with '/' (as in /" + text + ")");
            return null;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c <= ' ' || c == 0x7f) {
                problems.at(node, path, "path '" + text + "' contains a space or control character "
                        + "(percent-encode it, as in %20)");
                return null;
            }
        }
        return text;
    }
}
