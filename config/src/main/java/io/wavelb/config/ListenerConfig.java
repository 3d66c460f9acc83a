package io.wavelb.config;

import java.util.Objects;

/**
 * One listening address. {@code udp} and {@code tcp} always hold settings (defaults when the YAML
 * has no such section); only those matching {@code protocol} are used.
 */
public record ListenerConfig(String name, Protocol protocol, HostPort listen, String targetGroup,
                             UdpSettings udp, TcpSettings tcp) {

    public ListenerConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(targetGroup, "targetGroup");
        Objects.requireNonNull(udp, "udp");
        Objects.requireNonNull(tcp, "tcp");
    }
}
