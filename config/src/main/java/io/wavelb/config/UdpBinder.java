package io.wavelb.config;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;

/** A listener's {@code udp:} section, with its {@code quic_lb} (RFC draft QUIC-LB) description. */
final class UdpBinder {

    static final List<String> UDP_KEYS = List.of("idle_timeout", "max_sessions", "max_datagram_size",
            "max_requests", "max_responses", "affinity", "quic_lb", "receive_buffer", "max_sessions_per_client", "mode",
            "session_receive_buffer");
    static final List<String> QUIC_LB_KEYS = List.of("config_id", "server_id_length", "nonce_length", "key");
    static final int MAX_SESSIONS = 10_000_000;
    /** 65535 minus the 8-byte UDP and 20-byte IPv4 headers: the largest payload one IPv4 datagram can carry. */
    static final int MAX_DATAGRAM_SIZE = 65_507;
    /** 256 MiB: far above what any kernel's rmem_max is set to. */
    static final int MAX_RECEIVE_BUFFER = 256 << 20;
    private static final int MAX_SESSION_HINT = 1_000_000;

    private final NodeReader reader;
    private final Problems problems;

    UdpBinder(NodeReader reader) {
        this.reader = reader;
        this.problems = reader.problems();
    }

    UdpSettings bind(Node node, String path) {
        if (NodeReader.isNull(node)) {
            return UdpSettings.DEFAULTS;
        }
        MappingNode map = reader.mapping(node, path);
        if (map == null) {
            return UdpSettings.DEFAULTS;
        }
        Map<String, NodeTuple> f = reader.fields(map, path, UDP_KEYS);
        Node affinityNode = NodeReader.value(f, "affinity");
        UdpAffinity affinity = affinityNode == null ? UdpAffinity.FIVE_TUPLE
                : reader.choice(affinityNode, path + ".affinity", List.of(UdpAffinity.values()), UdpAffinity::yamlName,
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
        int maxRequests = reader.integerOr(f, "max_requests", path, 0, MAX_SESSION_HINT, 0);
        UdpMode mode = mode(f, path, affinityNode, consistent ? affinity : UdpAffinity.FIVE_TUPLE, maxRequests);
        return new UdpSettings(
                reader.durationOr(f, "idle_timeout", path, ListenerBinder.MIN_TIMEOUT, UdpSettings.DEFAULT_IDLE_TIMEOUT),
                reader.integerOr(f, "max_sessions", path, 1, MAX_SESSIONS, UdpSettings.DEFAULT_MAX_SESSIONS),
                reader.integerOr(f, "max_datagram_size", path, 1, MAX_DATAGRAM_SIZE,
                        UdpSettings.DEFAULT_MAX_DATAGRAM_SIZE),
                maxRequests,
                reader.integerOr(f, "max_responses", path, 0, MAX_SESSION_HINT, 0),
                consistent ? affinity : UdpAffinity.FIVE_TUPLE,
                consistent ? quicLb : Optional.empty(),
                reader.integerOr(f, "receive_buffer", path, 0, MAX_RECEIVE_BUFFER, 0),
                reader.integerOr(f, "max_sessions_per_client", path, 0, MAX_SESSIONS, 0),
                mode,
                reader.integerOr(f, "session_receive_buffer", path, 0, MAX_RECEIVE_BUFFER, 0));
    }

    /**
     * {@code mode}; per_packet is refused next to what pins a client to one target (an affinity) or
     * unbinds its address after some datagrams ({@code max_requests}): per_flow is kept then, with a problem.
     */
    private UdpMode mode(Map<String, NodeTuple> f, String path, Node affinityNode, UdpAffinity affinity, int maxRequests) {
        Node modeNode = NodeReader.value(f, "mode");
        if (modeNode == null) {
            return UdpMode.PER_FLOW;
        }
        UdpMode mode = reader.choice(modeNode, path + ".mode", List.of(UdpMode.values()), UdpMode::yamlName,
                "a balancing mode", true);
        if (mode != UdpMode.PER_PACKET) {
            return UdpMode.PER_FLOW;
        }
        if (affinityNode != null && affinity != UdpAffinity.FIVE_TUPLE) {
            problems.at(modeNode, path + ".mode", "mode per_packet picks a target for every datagram, so it cannot "
                    + "keep affinity " + affinity.yamlName() + " (remove 'affinity' or use mode per_flow)");
            return UdpMode.PER_FLOW;
        }
        if (maxRequests > 0) {
            problems.at(modeNode, path + ".mode", "mode per_packet does not take max_requests (each datagram is "
                    + "balanced already; max_responses ends the session once its replies are back)");
            return UdpMode.PER_FLOW;
        }
        return mode;
    }

    /** {@code null} when a value is wrong (a problem says which). */
    private QuicLbConfig quicLb(Node node, String path) {
        MappingNode map = NodeReader.isNull(node) ? null : reader.mapping(node, path);
        if (map == null) {
            if (NodeReader.isNull(node)) {
                problems.at(node, path, "missing value (expected a mapping with config_id, server_id_length, nonce_length)");
            }
            return null;
        }
        Map<String, NodeTuple> f = reader.fields(map, path, QUIC_LB_KEYS);
        Node configIdNode = NodeReader.value(f, "config_id");
        Integer configId = configIdNode == null ? Integer.valueOf(0)
                : reader.integer(configIdNode, path + ".config_id", 0, QuicLbConfig.MAX_CONFIG_ID, "config_id");
        Node sidNode = reader.required(f, map, path, "server_id_length");
        Integer sid = sidNode == null ? null : reader.integer(sidNode, path + ".server_id_length",
                QuicLbConfig.MIN_SERVER_ID_LENGTH, QuicLbConfig.MAX_SERVER_ID_LENGTH, "server_id_length");
        Node nonceNode = reader.required(f, map, path, "nonce_length");
        Integer nonce = nonceNode == null ? null : reader.integer(nonceNode, path + ".nonce_length",
                QuicLbConfig.MIN_NONCE_LENGTH, QuicLbConfig.MAX_NONCE_LENGTH, "nonce_length");
        Node keyNode = NodeReader.value(f, "key");
        Optional<HexBytes> key = Optional.empty();
        boolean keyOk = true;
        if (keyNode != null && !NodeReader.isNull(keyNode)) {
            HexBytes k = reader.hex(keyNode, path + ".key", "a 16-byte AES key as 32 hex digits");
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
                    + " (at most " + QuicLbConfig.MAX_PLAINTEXT_LENGTH
                    + ": a connection ID is at most 20 bytes with its first octet)");
            return null;
        }
        return new QuicLbConfig(configId, sid, nonce, key);
    }
}
