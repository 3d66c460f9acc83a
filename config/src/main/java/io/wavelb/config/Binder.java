package io.wavelb.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import io.wavelb.config.HealthCheckConfig.HealthProtocol;
import io.wavelb.config.HealthCheckConfig.StatusRange;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Reads the node tree into a {@link ConfigDraft}: shape (known keys, node types), value syntax and
 * ranges, and the checks that need only one listener or one group. It never stops at the first
 * problem: a bad value is reported and replaced by its default so the rest is still checked.
 *
 * <p>It descends only along the schema, which is five levels deep, so a recursive alias or a huge
 * unknown subtree costs nothing.
 */
final class Binder {

    static final int MAX_EVENT_LOOPS = 256;
    static final int MAX_SESSIONS = 10_000_000;
    /** 65535 minus the 8-byte UDP and 20-byte IPv4 headers: the largest payload one IPv4 datagram can carry. */
    static final int MAX_DATAGRAM_SIZE = 65_507;
    static final int MAX_CONNECT_ATTEMPTS = 16;
    static final int MAX_MAGLEV_TABLE_SIZE = 5_000_011;
    /** Maglev, NSDI'16 section 3.4: with M > 100 x N, targets' shares differ by at most about 1%. */
    static final int MAGLEV_SLOTS_PER_TARGET = 100;
    static final Duration MIN_TIMEOUT = Duration.ofMillis(1);
    static final Duration MAX_DURATION = Duration.ofHours(24);
    /** A side that has not taken its last bytes in this long is not going to. */
    static final Duration MAX_CLOSE_TIMEOUT = Duration.ofMinutes(10);
    /** 1 TiB: more direct memory than any JVM here is given; a larger value is a typo. */
    static final long MAX_MEMORY_BUDGET = 1L << 40;
    static final int MAX_NAME_LENGTH = 64;
    /** NLB's range for the deregistration delay. */
    static final Duration MAX_DEREGISTRATION_DELAY = Duration.ofSeconds(3600);
    static final Duration MIN_HEALTH_INTERVAL = Duration.ofMillis(100);
    static final Duration MAX_HEALTH_INTERVAL = Duration.ofSeconds(300);
    static final Duration MIN_HEALTH_TIMEOUT = Duration.ofMillis(10);
    static final Duration MAX_HEALTH_TIMEOUT = Duration.ofSeconds(60);
    static final int MAX_HEALTH_THRESHOLD = 10;
    static final int MAX_CONSECUTIVE_FAILURES = 1000;
    static final Duration MIN_EJECTION_TIME = Duration.ofSeconds(1);
    static final Duration MAX_EJECTION_TIME = Duration.ofHours(1);
    /** Below this a reply timeout would fail sessions on ordinary scheduling jitter; 0 means off. */
    static final Duration MIN_UDP_REPLY_TIMEOUT = Duration.ofMillis(100);
    static final Duration MAX_UDP_REPLY_TIMEOUT = Duration.ofHours(1);
    /** {@code 200} or {@code 200-399}; the range of each number is checked after the match. */
    private static final Pattern STATUS = Pattern.compile("([0-9]{3})(?:-([0-9]{3}))?");
    /** Names become metric tags and log fields: lowercase, no spaces, no quoting needed anywhere. */
    static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_.-]*");
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9._-]+");
    private static final Pattern DECIMAL = Pattern.compile("[-+]?(0|[1-9][0-9]*)");

    /** {@code agent} is the sidecar's section: allowed beside the balancer's, validated by the agent. */
    static final List<String> TOP_KEYS = List.of("admin", "runtime", "listeners", "target_groups", "agent");
    private static final List<String> ADMIN_KEYS = List.of("listen", "token_file");
    private static final List<String> RUNTIME_KEYS = List.of("event_loops", "transport", "shutdown_grace_period",
            "memory_budget");
    private static final List<String> LISTENER_KEYS = List.of("name", "protocol", "listen", "target_group",
            "proxy_protocol", "udp", "tcp");
    private static final List<String> UDP_KEYS = List.of("idle_timeout", "max_sessions", "max_datagram_size",
            "max_requests", "max_responses", "affinity", "quic_lb", "receive_buffer");
    /** 256 MiB: far above what any kernel's rmem_max is set to. */
    static final int MAX_RECEIVE_BUFFER = 256 << 20;
    private static final List<String> QUIC_LB_KEYS = List.of("config_id", "server_id_length", "nonce_length", "key");
    private static final int MAX_SESSION_HINT = 1_000_000;
    private static final List<String> TCP_KEYS = List.of("idle_timeout", "connect_timeout", "connect_attempts",
            "close_timeout");
    private static final List<String> GROUP_KEYS = List.of("name", "algorithm", "maglev_table_size",
            "deregistration_delay", "terminate_on_unhealthy", "health_check", "outlier_detection", "targets");
    private static final List<String> HEALTH_CHECK_KEYS = List.of("protocol", "port", "send", "expect", "path",
            "interval", "timeout", "healthy_threshold", "unhealthy_threshold");
    private static final List<String> OUTLIER_KEYS =
            List.of("consecutive_failures", "ejection_time", "max_ejection_percent", "udp_reply_timeout");
    private static final List<String> TARGET_KEYS = List.of("address", "weight", "server_id");

    /** Plain YAML only. Other standard tags (!!set, !!binary, !!omap...) and local tags (!foo) are refused. */
    private static final Set<Tag> PLAIN_TAGS =
            Set.of(Tag.STR, Tag.INT, Tag.FLOAT, Tag.BOOL, Tag.NULL, Tag.TIMESTAMP, Tag.MAP, Tag.SEQ);

    private final Problems problems;
    /** Relative paths in the config (admin.token_file) are resolved against this directory. */
    private final Path baseDirectory;

    Binder(Problems problems) {
        this(problems, Path.of("").toAbsolutePath());
    }

    Binder(Problems problems, Path baseDirectory) {
        this.problems = problems;
        this.baseDirectory = baseDirectory;
    }

    /** {@code null} when the document is not even a mapping; a problem then says why. */
    ConfigDraft bind(Node root) {
        if (root == null || isNull(root)) {
            problems.atStart("", "empty config (expected a mapping with listeners and target_groups)");
            return null;
        }
        MappingNode top = mapping(root, "");
        if (top == null) {
            return null;
        }
        Map<String, NodeTuple> fields = fields(top, "", TOP_KEYS);

        AdminConfig admin = AdminConfig.DEFAULTS;
        Node adminListenNode = null;
        MappingNode adminMap = section(fields, "admin", "admin");
        if (adminMap != null) {
            Map<String, NodeTuple> af = fields(adminMap, "admin", ADMIN_KEYS);
            Node listen = value(af, "listen");
            HostPort address = listen == null ? null : hostPort(listen, "admin.listen");
            if (address != null) {
                adminListenNode = listen;
            }
            Node tokenNode = value(af, "token_file");
            Optional<Path> tokenFile = tokenNode == null ? Optional.empty() : tokenFile(tokenNode, "admin.token_file");
            admin = new AdminConfig(address == null ? AdminConfig.DEFAULTS.listen() : address, tokenFile);
        }
        RuntimeSettings runtime = runtime(section(fields, "runtime", "runtime"));

        List<ConfigDraft.Listener> listeners = new ArrayList<>();
        Node listenerList = required(fields, top, "", "listeners");
        List<Node> listenerNodes = listenerList == null ? List.of() : items(listenerList, "listeners");
        if (listenerNodes != null && listenerNodes.isEmpty() && listenerList != null) {
            problems.at(listenerList, "listeners", "at least one listener is required");
        }
        for (int i = 0; listenerNodes != null && i < listenerNodes.size(); i++) {
            ConfigDraft.Listener listener = listener(listenerNodes.get(i), "listeners[" + i + "]");
            if (listener != null) {
                listeners.add(listener);
            }
        }

        List<ConfigDraft.Group> groups = new ArrayList<>();
        Node groupList = required(fields, top, "", "target_groups");
        List<Node> groupNodes = groupList == null ? List.of() : items(groupList, "target_groups");
        for (int i = 0; groupNodes != null && i < groupNodes.size(); i++) {
            ConfigDraft.Group group = group(groupNodes.get(i), "target_groups[" + i + "]");
            if (group != null) {
                groups.add(group);
            }
        }
        return new ConfigDraft(admin, adminListenNode, runtime, listeners, groups);
    }

    private RuntimeSettings runtime(MappingNode map) {
        if (map == null) {
            return RuntimeSettings.DEFAULTS;
        }
        Map<String, NodeTuple> f = fields(map, "runtime", RUNTIME_KEYS);
        int eventLoops = integerOr(f, "event_loops", "runtime", 0, MAX_EVENT_LOOPS, 0);
        Node transportNode = value(f, "transport");
        Transport transport = transportNode == null ? null
                : choice(transportNode, "runtime.transport", List.of(Transport.values()), Transport::yamlName, "a transport");
        Duration grace = durationOr(f, "shutdown_grace_period", "runtime", Duration.ZERO,
                RuntimeSettings.DEFAULT_SHUTDOWN_GRACE_PERIOD);
        long budget = bytesOr(f, "memory_budget", "runtime", RuntimeSettings.MIN_MEMORY_BUDGET, MAX_MEMORY_BUDGET, 0);
        return new RuntimeSettings(eventLoops, transport == null ? Transport.AUTO : transport, grace, budget);
    }

    private ConfigDraft.Listener listener(Node node, String path) {
        MappingNode map = mapping(node, path);
        if (map == null) {
            return null;
        }
        Map<String, NodeTuple> f = fields(map, path, LISTENER_KEYS);
        Node nameNode = required(f, map, path, "name");
        String name = nameNode == null ? null : name(nameNode, path + ".name");
        Node protocolNode = required(f, map, path, "protocol");
        Protocol protocol = protocolNode == null ? null
                : choice(protocolNode, path + ".protocol", List.of(Protocol.values()), Protocol::yamlName, "a protocol");
        Node listenNode = required(f, map, path, "listen");
        HostPort listen = listenNode == null ? null : hostPort(listenNode, path + ".listen");
        Node targetGroupNode = required(f, map, path, "target_group");
        String targetGroup = targetGroupNode == null ? null : text(targetGroupNode, path + ".target_group", "a target group name");

        Node proxyNode = value(f, "proxy_protocol");
        ProxyProtocol proxy = proxyNode == null ? ProxyProtocol.NONE
                : choice(proxyNode, path + ".proxy_protocol", List.of(ProxyProtocol.values()), ProxyProtocol::yamlName,
                        "a PROXY protocol version");
        if (proxy == ProxyProtocol.V1 && protocol != null && protocol.carriesUdp()) {
            problems.at(proxyNode, path + ".proxy_protocol", "PROXY protocol v1 is text for TCP streams; a "
                    + protocol.yamlName() + " listener needs v2 (binary, with a header in front of each datagram)");
        }

        NodeTuple udpEntry = f.get("udp");
        NodeTuple tcpEntry = f.get("tcp");
        UdpSettings udp = udpEntry == null ? UdpSettings.DEFAULTS : udp(udpEntry.getValueNode(), path + ".udp");
        TcpSettings tcp = tcpEntry == null ? TcpSettings.DEFAULTS : tcp(tcpEntry.getValueNode(), path + ".tcp");
        // A section for the other protocol would be read and then never used: say so rather than ignore it.
        if (protocol != null && udpEntry != null && !protocol.carriesUdp()) {
            problems.at(udpEntry.getKeyNode(), path + ".udp", "a 'udp' section on a " + protocol.yamlName()
                    + " listener would be ignored (remove it, or use protocol udp or tcp_udp)");
        }
        if (protocol != null && tcpEntry != null && !protocol.carriesTcp()) {
            problems.at(tcpEntry.getKeyNode(), path + ".tcp", "a 'tcp' section on a " + protocol.yamlName()
                    + " listener would be ignored (remove it, or use protocol tcp or tcp_udp)");
        }
        return new ConfigDraft.Listener(path, name, nameNode, protocol, listen, listenNode, targetGroup,
                targetGroupNode, udp, tcp, proxy == null ? ProxyProtocol.NONE : proxy);
    }

    private UdpSettings udp(Node node, String path) {
        if (isNull(node)) {
            return UdpSettings.DEFAULTS;
        }
        MappingNode map = mapping(node, path);
        if (map == null) {
            return UdpSettings.DEFAULTS;
        }
        Map<String, NodeTuple> f = fields(map, path, UDP_KEYS);
        Node affinityNode = value(f, "affinity");
        UdpAffinity affinity = affinityNode == null ? UdpAffinity.FIVE_TUPLE
                : choice(affinityNode, path + ".affinity", List.of(UdpAffinity.values()), UdpAffinity::yamlName,
                        "an affinity", true);
        NodeTuple quicEntry = f.get("quic_lb");
        Optional<QuicLbConfig> quicLb = Optional.empty();
        if (quicEntry != null) {
            if (affinity != null && affinity != UdpAffinity.QUIC) {
                problems.at(quicEntry.getKeyNode(), path + ".quic_lb", "quic_lb applies only with affinity: quic "
                        + "(this listener's affinity is " + affinity.yamlName() + ")");
            }
            quicLb = Optional.ofNullable(quicLb(quicEntry.getValueNode(), path + ".quic_lb"));
        } else if (affinity == UdpAffinity.QUIC) {
            problems.at(affinityNode, path + ".affinity", "affinity quic needs a 'quic_lb' section (config_id, "
                    + "server_id_length, nonce_length, key) describing the targets' connection IDs");
        }
        // Only a consistent pair is kept; a problem above already explains any other.
        boolean consistent = affinity != null && (affinity == UdpAffinity.QUIC) == quicLb.isPresent();
        return new UdpSettings(
                durationOr(f, "idle_timeout", path, MIN_TIMEOUT, UdpSettings.DEFAULT_IDLE_TIMEOUT),
                integerOr(f, "max_sessions", path, 1, MAX_SESSIONS, UdpSettings.DEFAULT_MAX_SESSIONS),
                integerOr(f, "max_datagram_size", path, 1, MAX_DATAGRAM_SIZE, UdpSettings.DEFAULT_MAX_DATAGRAM_SIZE),
                integerOr(f, "max_requests", path, 0, MAX_SESSION_HINT, 0),
                integerOr(f, "max_responses", path, 0, MAX_SESSION_HINT, 0),
                consistent ? affinity : UdpAffinity.FIVE_TUPLE,
                consistent ? quicLb : Optional.empty(),
                integerOr(f, "receive_buffer", path, 0, MAX_RECEIVE_BUFFER, 0));
    }

    /** {@code null} when a value is wrong (a problem says which). */
    private QuicLbConfig quicLb(Node node, String path) {
        MappingNode map = isNull(node) ? null : mapping(node, path);
        if (map == null) {
            if (isNull(node)) {
                problems.at(node, path, "missing value (expected a mapping with config_id, server_id_length, nonce_length)");
            }
            return null;
        }
        Map<String, NodeTuple> f = fields(map, path, QUIC_LB_KEYS);
        Node configIdNode = value(f, "config_id");
        Integer configId = configIdNode == null ? Integer.valueOf(0)
                : integer(configIdNode, path + ".config_id", 0, QuicLbConfig.MAX_CONFIG_ID, "config_id");
        Node sidNode = required(f, map, path, "server_id_length");
        Integer sid = sidNode == null ? null : integer(sidNode, path + ".server_id_length",
                QuicLbConfig.MIN_SERVER_ID_LENGTH, QuicLbConfig.MAX_SERVER_ID_LENGTH, "server_id_length");
        Node nonceNode = required(f, map, path, "nonce_length");
        Integer nonce = nonceNode == null ? null : integer(nonceNode, path + ".nonce_length",
                QuicLbConfig.MIN_NONCE_LENGTH, QuicLbConfig.MAX_NONCE_LENGTH, "nonce_length");
        Node keyNode = value(f, "key");
        Optional<HexBytes> key = Optional.empty();
        boolean keyOk = true;
        if (keyNode != null && !isNull(keyNode)) {
            HexBytes k = hex(keyNode, path + ".key", "a 16-byte AES key as 32 hex digits");
            if (k != null && k.length() != QuicLbConfig.KEY_LENGTH) {
                problems.at(keyNode, path + ".key", "key has " + k.length() + " bytes (expected 16: 32 hex digits)");
                k = null;
            }
            keyOk = k != null;
            key = Optional.ofNullable(k);
        }
        if (configId == null || sid == null || nonce == null || !keyOk) {
            return null;
        }
        if (sid + nonce > QuicLbConfig.MAX_PLAINTEXT_LENGTH) {
            problems.at(nonceNode, path + ".nonce_length", "server_id_length + nonce_length is " + (sid + nonce)
                    + " (at most " + QuicLbConfig.MAX_PLAINTEXT_LENGTH + ": a connection ID is at most 20 bytes with its first octet)");
            return null;
        }
        return new QuicLbConfig(configId, sid, nonce, key);
    }

    /** Hex digits, optionally prefixed {@code 0x}; {@code null} with a problem otherwise. */
    private HexBytes hex(Node node, String path, String expected) {
        String text = text(node, path, expected);
        if (text == null) {
            return null;
        }
        try {
            return HexBytes.parse(text);
        } catch (IllegalArgumentException e) {
            problems.at(node, path, "'" + text + "' is not " + expected + " (an even number of 0-9a-f digits)");
            return null;
        }
    }

    private TcpSettings tcp(Node node, String path) {
        if (isNull(node)) {
            return TcpSettings.DEFAULTS;
        }
        MappingNode map = mapping(node, path);
        if (map == null) {
            return TcpSettings.DEFAULTS;
        }
        Map<String, NodeTuple> f = fields(map, path, TCP_KEYS);
        return new TcpSettings(
                durationOr(f, "idle_timeout", path, MIN_TIMEOUT, TcpSettings.DEFAULT_IDLE_TIMEOUT),
                durationOr(f, "connect_timeout", path, MIN_TIMEOUT, TcpSettings.DEFAULT_CONNECT_TIMEOUT),
                integerOr(f, "connect_attempts", path, 1, MAX_CONNECT_ATTEMPTS, TcpSettings.DEFAULT_CONNECT_ATTEMPTS),
                durationOr(f, "close_timeout", path, MIN_TIMEOUT, MAX_CLOSE_TIMEOUT, TcpSettings.DEFAULT_CLOSE_TIMEOUT));
    }

    private ConfigDraft.Group group(Node node, String path) {
        MappingNode map = mapping(node, path);
        if (map == null) {
            return null;
        }
        Map<String, NodeTuple> f = fields(map, path, GROUP_KEYS);
        Node nameNode = required(f, map, path, "name");
        String name = nameNode == null ? null : name(nameNode, path + ".name");
        Node algorithmNode = value(f, "algorithm");
        Algorithm algorithm = algorithmNode == null ? Algorithm.MAGLEV
                : choice(algorithmNode, path + ".algorithm", List.of(Algorithm.values()), Algorithm::yamlName, "an algorithm");

        NodeTuple targetsEntry = f.get("targets");
        List<Node> targetNodes = targetsEntry == null ? List.of() : items(targetsEntry.getValueNode(), path + ".targets");
        List<TargetConfig> targets = new ArrayList<>();
        Map<String, Node> seen = new HashMap<>();
        Map<String, Node> serverIdNodes = new HashMap<>();
        for (int j = 0; targetNodes != null && j < targetNodes.size(); j++) {
            String targetPath = path + ".targets[" + j + "]";
            MappingNode targetMap = mapping(targetNodes.get(j), targetPath);
            if (targetMap == null) {
                continue;
            }
            Map<String, NodeTuple> tf = fields(targetMap, targetPath, TARGET_KEYS);
            Node addressNode = required(tf, targetMap, targetPath, "address");
            HostPort address = addressNode == null ? null : hostPort(addressNode, targetPath + ".address");
            int weight = integerOr(tf, "weight", targetPath, 1, TargetConfig.MAX_WEIGHT, TargetConfig.DEFAULT_WEIGHT);
            Node serverIdNode = value(tf, "server_id");
            HexBytes serverId = serverIdNode == null ? null
                    : hex(serverIdNode, targetPath + ".server_id", "a server ID in hex (\"0x0001\")");
            if (serverId != null && serverId.length() > QuicLbConfig.MAX_SERVER_ID_LENGTH) {
                problems.at(serverIdNode, targetPath + ".server_id", "server_id has " + serverId.length()
                        + " bytes (at most " + QuicLbConfig.MAX_SERVER_ID_LENGTH + ")");
                serverId = null;
            }
            if (address == null) {
                continue;
            }
            // Maglev hashes by address (STYLE rule 4): two entries for one address would be one target twice.
            Node first = seen.putIfAbsent(address.toString().toLowerCase(Locale.ROOT), addressNode);
            if (first != null) {
                problems.at(addressNode, targetPath + ".address",
                        "duplicate target " + address + " (first at " + Problems.where(first) + ")");
            } else {
                targets.add(new TargetConfig(address, weight, Optional.ofNullable(serverId)));
                if (serverId != null) {
                    serverIdNodes.put(address.toString().toLowerCase(Locale.ROOT), serverIdNode);
                }
            }
        }
        int targetCount = targetNodes == null ? 0 : targetNodes.size();
        int tableSize = maglevTableSize(f, path, algorithm, targetCount, targetsEntry);
        Duration deregistrationDelay = durationOr(f, "deregistration_delay", path, Duration.ZERO,
                MAX_DEREGISTRATION_DELAY, TargetGroupConfig.DEFAULT_DEREGISTRATION_DELAY);
        Node terminateNode = value(f, "terminate_on_unhealthy");
        Boolean terminate = terminateNode == null ? null : bool(terminateNode, path + ".terminate_on_unhealthy");
        NodeTuple healthEntry = f.get("health_check");
        Optional<HealthCheckConfig> healthCheck = healthEntry == null ? Optional.empty()
                : Optional.ofNullable(healthCheck(healthEntry, path + ".health_check"));
        OutlierDetectionConfig outlier = outlierDetection(section(f, "outlier_detection", path + ".outlier_detection"),
                path + ".outlier_detection");
        return new ConfigDraft.Group(path, name, nameNode, algorithm == null ? Algorithm.MAGLEV : algorithm,
                targets, tableSize, healthCheck, outlier, deregistrationDelay, terminate != null && terminate, serverIdNodes);
    }

    // ---- health -------------------------------------------------------------------------------

    /**
     * The active check. Which keys a protocol takes: {@code send} udp only (required there);
     * {@code expect} udp (reply prefix) and http (status range), not tcp; {@code path} http and,
     * tolerated because the design issue's own example has it, udp (kept, unused); not tcp. A key
     * a protocol would silently ignore is an error, as a 'udp' section on a tcp listener is.
     * {@code null} when the check cannot be built (a problem says why).
     */
    private HealthCheckConfig healthCheck(NodeTuple entry, String path) {
        Node node = entry.getValueNode();
        if (isNull(node)) {
            problems.at(entry.getKeyNode(), path, "missing required key 'protocol' (an empty health_check has no "
                    + "protocol; remove the key for no active check)");
            return null;
        }
        MappingNode map = mapping(node, path);
        if (map == null) {
            return null;
        }
        Map<String, NodeTuple> f = fields(map, path, HEALTH_CHECK_KEYS);
        Node protocolNode = required(f, map, path, "protocol");
        HealthProtocol protocol = protocolNode == null ? null : choice(protocolNode, path + ".protocol",
                List.of(HealthProtocol.values()), HealthProtocol::yamlName, "a health check protocol", true);
        int port = integerOr(f, "port", path, 1, 65535, 0);

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

        Node intervalNode = value(f, "interval");
        Node timeoutNode = value(f, "timeout");
        Duration interval = intervalNode == null ? HealthCheckConfig.DEFAULT_INTERVAL
                : duration(intervalNode, "interval", path + ".interval", MIN_HEALTH_INTERVAL, MAX_HEALTH_INTERVAL);
        Duration timeout = timeoutNode == null ? HealthCheckConfig.DEFAULT_TIMEOUT
                : duration(timeoutNode, "timeout", path + ".timeout", MIN_HEALTH_TIMEOUT, MAX_HEALTH_TIMEOUT);
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
        int healthy = integerOr(f, "healthy_threshold", path, 1, MAX_HEALTH_THRESHOLD,
                HealthCheckConfig.DEFAULT_HEALTHY_THRESHOLD);
        int unhealthy = integerOr(f, "unhealthy_threshold", path, 1, MAX_HEALTH_THRESHOLD,
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
        String text = text(node, path, "text or hex:0a0b...");
        if (text == null) {
            return null;
        }
        Payload payload;
        try {
            payload = Payload.parse(text);
        } catch (IllegalArgumentException e) {
            problems.at(node, path, e.getMessage());
            return null;
        }
        if (payload.isEmpty() && !mayBeEmpty) {
            problems.at(node, path, key + " is empty (expected at least one byte)");
            return null;
        }
        if (payload.length() > MAX_DATAGRAM_SIZE) {
            problems.at(node, path, key + " is " + payload.length() + " bytes (expected at most "
                    + MAX_DATAGRAM_SIZE + ", the largest IPv4 UDP payload)");
            return null;
        }
        return payload;
    }

    private StatusRange statusRange(Node node, String path) {
        String text = text(node, path, "an HTTP status such as 200 or a range such as 200-399");
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
        String text = text(node, path, "a path such as /healthz");
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

    private OutlierDetectionConfig outlierDetection(MappingNode map, String path) {
        if (map == null) {
            return OutlierDetectionConfig.DEFAULTS;
        }
        OutlierDetectionConfig d = OutlierDetectionConfig.DEFAULTS;
        Map<String, NodeTuple> f = fields(map, path, OUTLIER_KEYS);
        return new OutlierDetectionConfig(
                integerOr(f, "consecutive_failures", path, 0, MAX_CONSECUTIVE_FAILURES, d.consecutiveFailures()),
                durationOr(f, "ejection_time", path, MIN_EJECTION_TIME, MAX_EJECTION_TIME, d.ejectionTime()),
                integerOr(f, "max_ejection_percent", path, 0, 100, d.maxEjectionPercent()),
                udpReplyTimeout(f, path, d.udpReplyTimeout()));
    }

    /** {@code 0} (off) or a duration in 100ms..1h. */
    private Duration udpReplyTimeout(Map<String, NodeTuple> f, String path, Duration fallback) {
        Node node = value(f, "udp_reply_timeout");
        if (node == null) {
            return fallback;
        }
        String key = "udp_reply_timeout";
        Duration d = duration(node, key, path + "." + key, Duration.ZERO, MAX_UDP_REPLY_TIMEOUT);
        if (d == null) {
            return fallback;
        }
        if (!d.isZero() && d.compareTo(MIN_UDP_REPLY_TIMEOUT) < 0) {
            problems.at(node, path + "." + key, key + " " + Durations.format(d) + " (expected 0 to turn it off, or "
                    + Durations.format(MIN_UDP_REPLY_TIMEOUT) + ".." + Durations.format(MAX_UDP_REPLY_TIMEOUT) + ")");
            return fallback;
        }
        return d;
    }

    /**
     * Where the admin token is read from. Not opened here: the admin endpoint reads it (and may
     * re-read it), and {@code parse} must not depend on the file system. A relative path is taken
     * from the config file's directory, so the config means the same whatever the working directory.
     */
    Optional<Path> tokenFile(Node node, String path) {
        String text = text(node, path, "a file path");
        if (text == null) {
            return Optional.empty();
        }
        if (text.isBlank()) {
            problems.at(node, path, "token_file is empty (expected the path of a file holding the admin token; "
                    + "remove the key to refuse mutating admin calls)");
            return Optional.empty();
        }
        Path file;
        try {
            file = Path.of(text);
        } catch (InvalidPathException e) {
            problems.at(node, path, "'" + text + "' is not a valid path (" + e.getReason() + ")");
            return Optional.empty();
        }
        return Optional.of(baseDirectory.resolve(file).normalize());
    }

    private int maglevTableSize(Map<String, NodeTuple> f, String path, Algorithm algorithm, int targetCount,
                                NodeTuple targetsEntry) {
        NodeTuple entry = f.get("maglev_table_size");
        long needed = (long) MAGLEV_SLOTS_PER_TARGET * targetCount;
        String sizePath = path + ".maglev_table_size";
        if (entry == null) {
            if (algorithm != null && usesMaglev(algorithm)
                    && TargetGroupConfig.DEFAULT_MAGLEV_TABLE_SIZE <= needed) {
                problems.at(targetsEntry.getKeyNode(), path + ".targets", targetCount
                        + " targets need a maglev_table_size > " + needed + " (the default "
                        + TargetGroupConfig.DEFAULT_MAGLEV_TABLE_SIZE + " is too small; " + suggestTableSize(needed) + ")");
            }
            return TargetGroupConfig.DEFAULT_MAGLEV_TABLE_SIZE;
        }
        Integer size = integer(entry.getValueNode(), sizePath, 1, MAX_MAGLEV_TABLE_SIZE, "maglev_table_size");
        if (size == null || algorithm == null) {
            return TargetGroupConfig.DEFAULT_MAGLEV_TABLE_SIZE;
        }
        if (!usesMaglev(algorithm)) {
            problems.at(entry.getKeyNode(), sizePath, "maglev_table_size applies only to algorithms maglev and "
                    + "source_ip; this group uses " + algorithm.yamlName() + " and would ignore it");
        } else if (!Primes.isPrime(size)) {
            // Maglev, NSDI'16 section 3.4: the permutation offset/skip construction needs a prime table size.
            problems.at(entry.getValueNode(), sizePath, "maglev_table_size " + size + " is not prime ("
                    + suggestTableSize(Math.max(size, needed)) + ")");
        } else if (size <= needed) {
            problems.at(entry.getValueNode(), sizePath, "maglev_table_size " + size + " is too small for "
                    + targetCount + " targets (expected a prime > 100 x " + targetCount + " = " + needed + "; "
                    + suggestTableSize(needed) + ")");
        }
        return size;
    }

    private static String suggestTableSize(long atLeast) {
        if (atLeast >= MAX_MAGLEV_TABLE_SIZE) {
            return "at most " + MAX_MAGLEV_TABLE_SIZE / MAGLEV_SLOTS_PER_TARGET + " targets fit the largest table, "
                    + MAX_MAGLEV_TABLE_SIZE;
        }
        return "try " + Primes.nextPrime((int) atLeast + 1);
    }

    static boolean usesMaglev(Algorithm algorithm) {
        return switch (algorithm) {
            case MAGLEV, SOURCE_IP -> true;
            case ROUND_ROBIN, LEAST_CONNECTIONS -> false;
        };
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
    private List<Node> items(Node node, String path) {
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

    private String name(Node node, String path) {
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
        String text = text(node, path, "an address host:port");
        if (text == null) {
            return null;
        }
        HostPort address;
        try {
            address = HostPort.parse(text);
        } catch (IllegalArgumentException e) {
            problems.at(node, path, e.getMessage());
            return null;
        }
        if (!address.isIpv6Literal() && !HOST.matcher(address.host()).matches()) {
            problems.at(node, path, "'" + text + "': host '" + address.host() + "' is not an IP address or host name");
            return null;
        }
        return address;
    }

    private <E> E choice(Node node, String path, List<E> values, Function<E, String> yamlName, String expected) {
        return choice(node, path, values, yamlName, expected, false);
    }

    /** {@code listAll}: name every option even when one is suggested. */
    private <E> E choice(Node node, String path, List<E> values, Function<E, String> yamlName, String expected,
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
        String text = text(node, at, "a size such as 512MiB");
        if (text == null) {
            return fallback;
        }
        long bytes;
        try {
            bytes = ByteSizes.parse(text);
        } catch (IllegalArgumentException e) {
            problems.at(node, at, e.getMessage());
            return fallback;
        }
        if (bytes < min || bytes > max) {
            problems.at(node, at, key + " " + text + " (expected " + ByteSizes.format(min) + ".." + ByteSizes.format(max) + ")");
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
        String text = text(node, path, "a duration such as 30s");
        if (text == null) {
            return null;
        }
        Duration duration;
        try {
            duration = Durations.parse(text);
        } catch (IllegalArgumentException e) {
            problems.at(node, path, e.getMessage());
            return null;
        }
        if (duration.compareTo(min) < 0 || duration.compareTo(max) > 0) {
            problems.at(node, path, key + " " + text + " (expected " + Durations.format(min) + ".."
                    + Durations.format(max) + ")");
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
    private static String describe(Node node) {
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
