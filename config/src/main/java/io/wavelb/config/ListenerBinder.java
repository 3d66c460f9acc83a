package io.wavelb.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;

/**
 * One entry of {@code listeners:}: name, protocol, listen address, target group, PROXY protocol,
 * transparent mode, and its {@code udp} ({@link UdpBinder}) and {@code tcp} sections.
 */
final class ListenerBinder {

    static final List<String> LISTENER_KEYS = List.of("name", "protocol", "listen", "target_group",
            "proxy_protocol", "udp", "tcp", "client_prefix_v4", "client_prefix_v6", "new_flows_per_client",
            "transparent");
    static final List<String> FLOW_RATE_KEYS = List.of("rate", "burst");
    /** new_flows_per_client.rate: per second; a million new flows a second from one client is a typo. */
    static final int MAX_FLOW_RATE = 1_000_000;
    static final List<String> TCP_KEYS = List.of("idle_timeout", "connect_timeout", "connect_attempts",
            "close_timeout", "max_connections_per_client");
    static final Duration MIN_TIMEOUT = Duration.ofMillis(1);
    static final int MAX_CONNECT_ATTEMPTS = 16;
    /** tcp.max_connections_per_client: a million is more than one host's ports; a larger value is a typo. */
    static final int MAX_PER_CLIENT = 1_000_000;
    /** A side that has not taken its last bytes in this long is not going to. */
    static final Duration MAX_CLOSE_TIMEOUT = Duration.ofMinutes(10);

    private final NodeReader reader;
    private final Problems problems;
    private final UdpBinder udp;

    ListenerBinder(NodeReader reader) {
        this.reader = reader;
        this.problems = reader.problems();
        this.udp = new UdpBinder(reader);
    }

    /** {@code null} when the entry is not even a mapping; a problem then says why. */
    ConfigDraft.Listener bind(Node node, String path) {
        MappingNode map = reader.mapping(node, path);
        if (map == null) {
            return null;
        }
        Map<String, NodeTuple> f = reader.fields(map, path, LISTENER_KEYS);
        Node nameNode = reader.required(f, map, path, "name");
        String name = nameNode == null ? null : reader.name(nameNode, path + ".name");
        Node protocolNode = reader.required(f, map, path, "protocol");
        Protocol protocol = protocolNode == null ? null : reader.choice(protocolNode, path + ".protocol",
                List.of(Protocol.values()), Protocol::yamlName, "a protocol");
        Node listenNode = reader.required(f, map, path, "listen");
        HostPort listen = listenNode == null ? null : reader.hostPort(listenNode, path + ".listen");
        Node targetGroupNode = reader.required(f, map, path, "target_group");
        String targetGroup = targetGroupNode == null ? null
                : reader.text(targetGroupNode, path + ".target_group", "a target group name");

        Node proxyNode = NodeReader.value(f, "proxy_protocol");
        ProxyProtocol proxy = proxyNode == null ? ProxyProtocol.NONE
                : reader.choice(proxyNode, path + ".proxy_protocol", List.of(ProxyProtocol.values()),
                        ProxyProtocol::yamlName, "a PROXY protocol version");
        if (proxy == ProxyProtocol.V1 && protocol != null && protocol.carriesUdp()) {
            problems.at(proxyNode, path + ".proxy_protocol", "PROXY protocol v1 is text for TCP streams; a "
                    + protocol.yamlName() + " listener needs v2 (binary, with a header in front of each datagram)");
        }

        NodeTuple udpEntry = f.get("udp");
        NodeTuple tcpEntry = f.get("tcp");
        UdpSettings udpSettings = udpEntry == null ? UdpSettings.DEFAULTS
                : udp.bind(udpEntry.getValueNode(), path + ".udp");
        TcpSettings tcpSettings = tcpEntry == null ? TcpSettings.DEFAULTS
                : tcp(tcpEntry.getValueNode(), path + ".tcp");
        // A section for the other protocol would be read and then never used: say so rather than ignore it.
        if (protocol != null && udpEntry != null && !protocol.carriesUdp()) {
            problems.at(udpEntry.getKeyNode(), path + ".udp", "a 'udp' section on a " + protocol.yamlName()
                    + " listener would be ignored (remove it, or use protocol udp or tcp_udp)");
        }
        if (protocol != null && tcpEntry != null && !protocol.carriesTcp()) {
            problems.at(tcpEntry.getKeyNode(), path + ".tcp", "a 'tcp' section on a " + protocol.yamlName()
                    + " listener would be ignored (remove it, or use protocol tcp or tcp_udp)");
        }
        ClientPrefix clientPrefix = new ClientPrefix(
                reader.integerOr(f, "client_prefix_v4", path, 1, 32, ClientPrefix.DEFAULT_V4),
                reader.integerOr(f, "client_prefix_v6", path, 1, 128, ClientPrefix.DEFAULT_V6));
        NodeTuple rateEntry = f.get("new_flows_per_client");
        NewFlowRate rate = rateEntry == null ? NewFlowRate.NONE
                : flowRate(rateEntry.getValueNode(), path + ".new_flows_per_client");
        Node transparentNode = NodeReader.value(f, "transparent");
        Boolean transparent = transparentNode == null ? Boolean.FALSE : reader.bool(transparentNode, path + ".transparent");
        if (Boolean.TRUE.equals(transparent) && udpSettings.perPacket()) {
            // A leg would bind the client's address and port a second time (towards another
            // target), which transparent sockets do not share (docs/operations.md, transparent mode).
            problems.at(transparentNode, path + ".transparent", "transparent does not work with udp.mode per_packet: "
                    + "each target would need its own socket on the client's address and port (use mode per_flow)");
            transparent = Boolean.FALSE;
        }
        return new ConfigDraft.Listener(path, name, nameNode, protocol, listen, listenNode, targetGroup,
                targetGroupNode, udpSettings, tcpSettings, proxy == null ? ProxyProtocol.NONE : proxy, clientPrefix, rate,
                Boolean.TRUE.equals(transparent), transparentNode);
    }

    /** {@code rate} (new flows a second, 1 or more) and {@code burst} (default: the rate, at least 1). */
    private NewFlowRate flowRate(Node node, String path) {
        MappingNode map = reader.mapping(node, path);
        if (map == null) {
            return NewFlowRate.NONE;
        }
        Map<String, NodeTuple> f = reader.fields(map, path, FLOW_RATE_KEYS);
        Node rateNode = reader.required(f, map, path, "rate");
        Integer perSecond = rateNode == null ? null : reader.integer(rateNode, path + ".rate", 1, MAX_FLOW_RATE, "a rate");
        if (perSecond == null) {
            return NewFlowRate.NONE;
        }
        int burst = reader.integerOr(f, "burst", path, 1, NewFlowRate.MAX_BURST, Math.min(perSecond, NewFlowRate.MAX_BURST));
        return new NewFlowRate(perSecond, burst);
    }

    private TcpSettings tcp(Node node, String path) {
        if (NodeReader.isNull(node)) {
            return TcpSettings.DEFAULTS;
        }
        MappingNode map = reader.mapping(node, path);
        if (map == null) {
            return TcpSettings.DEFAULTS;
        }
        Map<String, NodeTuple> f = reader.fields(map, path, TCP_KEYS);
        return new TcpSettings(
                reader.durationOr(f, "idle_timeout", path, MIN_TIMEOUT, TcpSettings.DEFAULT_IDLE_TIMEOUT),
                reader.durationOr(f, "connect_timeout", path, MIN_TIMEOUT, TcpSettings.DEFAULT_CONNECT_TIMEOUT),
                reader.integerOr(f, "connect_attempts", path, 1, MAX_CONNECT_ATTEMPTS,
                        TcpSettings.DEFAULT_CONNECT_ATTEMPTS),
                reader.durationOr(f, "close_timeout", path, MIN_TIMEOUT, MAX_CLOSE_TIMEOUT,
                        TcpSettings.DEFAULT_CLOSE_TIMEOUT),
                reader.integerOr(f, "max_connections_per_client", path, 0, MAX_PER_CLIENT, 0));
    }
}
