package io.wavelb.config;

import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;

/** The {@code runtime:} section: event loops, transport, shutdown grace period, memory budget, state directory. */
final class RuntimeBinder {

    static final List<String> RUNTIME_KEYS = List.of("event_loops", "transport", "shutdown_grace_period",
            "memory_budget", "state_dir", "warm_up", "busy_poll");
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
        Node stateNode = NodeReader.value(f, "state_dir");
        Path stateDir = stateNode == null ? null : reader.parsed(stateNode, "runtime.state_dir", "an absolute directory path",
                RuntimeBinder::stateDir, (text, refusal) -> refusal instanceof InvalidPathException invalid
                        ? "'" + text + "' is not a valid path (" + invalid.getReason() + ")"
                        : refusal.getMessage());
        Duration warmUp = reader.durationOr(f, "warm_up", "runtime", Duration.ZERO, RuntimeSettings.MAX_WARM_UP,
                RuntimeSettings.DEFAULT_WARM_UP);
        Duration busyPoll = reader.durationOr(f, "busy_poll", "runtime", Duration.ZERO, RuntimeSettings.MAX_BUSY_POLL,
                Duration.ZERO);
        return new RuntimeSettings(eventLoops, transport == null ? Transport.AUTO : transport, grace, budget,
                stateDir == null ? RuntimeSettings.DEFAULT_STATE_DIR : stateDir, warmUp, busyPoll);
    }

    private static Path stateDir(String text) {
        Path dir = Path.of(text);
        if (!dir.isAbsolute()) {
            throw new IllegalArgumentException("'" + text + "' is relative (expected an absolute directory path,"
                    + " e.g. /run/wavelb)");
        }
        int bytes = dir.resolve(RuntimeSettings.CONTROL_SOCKET).toString().getBytes(StandardCharsets.UTF_8).length;
        if (bytes > RuntimeSettings.MAX_SOCKET_PATH_BYTES) {
            throw new IllegalArgumentException("'" + text + "' is too long: the control socket's path would be " + bytes
                    + " bytes, over the " + RuntimeSettings.MAX_SOCKET_PATH_BYTES + " a Unix socket path may have");
        }
        return dir.normalize();
    }
}
