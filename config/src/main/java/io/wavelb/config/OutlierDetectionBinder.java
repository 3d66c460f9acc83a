package io.wavelb.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;

/** A target group's {@code outlier_detection:} section (passive health). */
final class OutlierDetectionBinder {

    static final List<String> OUTLIER_KEYS =
            List.of("consecutive_failures", "ejection_time", "max_ejection_percent", "udp_reply_timeout");
    static final int MAX_CONSECUTIVE_FAILURES = 1000;
    static final Duration MIN_EJECTION_TIME = Duration.ofSeconds(1);
    static final Duration MAX_EJECTION_TIME = Duration.ofHours(1);
    /** Below this a reply timeout would fail sessions on ordinary scheduling jitter; 0 means off. */
    static final Duration MIN_UDP_REPLY_TIMEOUT = Duration.ofMillis(100);
    static final Duration MAX_UDP_REPLY_TIMEOUT = Duration.ofHours(1);

    private final NodeReader reader;

    OutlierDetectionBinder(NodeReader reader) {
        this.reader = reader;
    }

    /** {@code map} null (no section, or an empty one) means the defaults. */
    OutlierDetectionConfig bind(MappingNode map, String path) {
        if (map == null) {
            return OutlierDetectionConfig.DEFAULTS;
        }
        OutlierDetectionConfig d = OutlierDetectionConfig.DEFAULTS;
        Map<String, NodeTuple> f = reader.fields(map, path, OUTLIER_KEYS);
        return new OutlierDetectionConfig(
                reader.integerOr(f, "consecutive_failures", path, 0, MAX_CONSECUTIVE_FAILURES, d.consecutiveFailures()),
                reader.durationOr(f, "ejection_time", path, MIN_EJECTION_TIME, MAX_EJECTION_TIME, d.ejectionTime()),
                reader.integerOr(f, "max_ejection_percent", path, 0, 100, d.maxEjectionPercent()),
                udpReplyTimeout(f, path, d.udpReplyTimeout()));
    }

    /** {@code 0} (off) or a duration in 100ms..1h. */
    private Duration udpReplyTimeout(Map<String, NodeTuple> f, String path, Duration fallback) {
        Node node = NodeReader.value(f, "udp_reply_timeout");
        if (node == null) {
            return fallback;
        }
        String key = "udp_reply_timeout";
        Duration d = reader.duration(node, key, path + "." + key, Duration.ZERO, MAX_UDP_REPLY_TIMEOUT);
        if (d == null) {
            return fallback;
        }
        if (!d.isZero() && d.compareTo(MIN_UDP_REPLY_TIMEOUT) < 0) {
            reader.problems().at(node, path + "." + key, key + " " + Durations.format(d)
                    + " (expected 0 to turn it off, or " + Durations.format(MIN_UDP_REPLY_TIMEOUT) + ".."
                    + Durations.format(MAX_UDP_REPLY_TIMEOUT) + ")");
            return fallback;
        }
        return d;
    }
}
