package io.wavelb.config;

import java.util.Objects;

/**
 * One listening address. {@code udp} and {@code tcp} always hold settings (defaults when the YAML
 * has no such section); only those matching {@code protocol} are used. {@code proxyProtocol} tells
 * targets the client's address (v1 is TCP only). {@code transparent}: upstream sockets bind to the
 * client's own address (IP_TRANSPARENT), so a target sees the client as the source.
 */
public record ListenerConfig(String name, Protocol protocol, HostPort listen, String targetGroup,
                             UdpSettings udp, TcpSettings tcp, ProxyProtocol proxyProtocol, ClientPrefix clientPrefix,
                             NewFlowRate newFlowsPerClient, boolean transparent) {

    /** Not transparent: upstream sockets have the balancer's own address. */
    public ListenerConfig(String name, Protocol protocol, HostPort listen, String targetGroup,
                          UdpSettings udp, TcpSettings tcp, ProxyProtocol proxyProtocol, ClientPrefix clientPrefix,
                          NewFlowRate newFlowsPerClient) {
        this(name, protocol, listen, targetGroup, udp, tcp, proxyProtocol, clientPrefix, newFlowsPerClient, false);
    }

    /** Without a new-flow rate per client. */
    public ListenerConfig(String name, Protocol protocol, HostPort listen, String targetGroup,
                          UdpSettings udp, TcpSettings tcp, ProxyProtocol proxyProtocol, ClientPrefix clientPrefix) {
        this(name, protocol, listen, targetGroup, udp, tcp, proxyProtocol, clientPrefix, NewFlowRate.NONE);
    }

    /** With one client per address (the default prefixes). */
    public ListenerConfig(String name, Protocol protocol, HostPort listen, String targetGroup,
                          UdpSettings udp, TcpSettings tcp, ProxyProtocol proxyProtocol) {
        this(name, protocol, listen, targetGroup, udp, tcp, proxyProtocol, ClientPrefix.DEFAULTS);
    }

    public ListenerConfig(String name, Protocol protocol, HostPort listen, String targetGroup,
                          UdpSettings udp, TcpSettings tcp) {
        this(name, protocol, listen, targetGroup, udp, tcp, ProxyProtocol.NONE);
    }

    public ListenerConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(targetGroup, "targetGroup");
        Objects.requireNonNull(udp, "udp");
        Objects.requireNonNull(tcp, "tcp");
        Objects.requireNonNull(proxyProtocol, "proxyProtocol");
        Objects.requireNonNull(clientPrefix, "clientPrefix");
        Objects.requireNonNull(newFlowsPerClient, "newFlowsPerClient");
    }
}
