package io.wavelb.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;

/** The {@code runtime:} section: event loops, transport, shutdown grace period, memory budget. */
final class RuntimeBinder {

    static final List<String> RUNTIME_KEYS = List.of("event_loops", "transport", "shutdown_grace_period",
            "memory_budget");
    static final int MAX_EVENT_LOOPS = 256;
    /** 1 TiB: more direct memory than any JVM here is given; a larger value is a typo. */
    static final long MAX_MEMORY_BUDGET = 1L << 40;

    private final NodeReader reader;

    RuntimeBinder(NodeReader reader) {
        this.reader = reader;
    }

    /** {@code map} null (no section, or an empty one) means the defaults. */
    RuntimeSettings bind(MappingNode map) {
        if (map == null) {
            return RuntimeSettings.DEFAULTS;
        }
        Map<String, NodeTuple> f = reader.fields(map, "runtime", RUNTIME_KEYS);
        int eventLoops = reader.integerOr(f, "event_loops", "runtime", 0, MAX_EVENT_LOOPS, 0);
        Node transportNode = NodeReader.value(f, "transport");
        Transport transport = transportNode == null ? null : reader.choice(transportNode, "runtime.transport",
                List.of(Transport.values()), Transport::yamlName, "a transport");
        Duration grace = reader.durationOr(f, "shutdown_grace_period", "runtime", Duration.ZERO,
                RuntimeSettings.DEFAULT_SHUTDOWN_GRACE_PERIOD);
        long budget = reader.bytesOr(f, "memory_budget", "runtime", RuntimeSettings.MIN_MEMORY_BUDGET,
                MAX_MEMORY_BUDGET, 0);
        return new RuntimeSettings(eventLoops, transport == null ? Transport.AUTO : transport, grace, budget);
    }
}
