package io.wavelb.config;

import java.util.Objects;

/**
 * A {@code host:port} pair as written in the config: an IPv4 literal, a bracketed IPv6 literal
 * ({@code [::1]:7000}) or a host name. Resolution happens in the data plane, not here.
 */
public record HostPort(String host, int port) {

    public HostPort {
        Objects.requireNonNull(host, "host");
        if (host.isEmpty()) {
            throw new IllegalArgumentException("empty host");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " (expected 0..65535)");
        }
    }

    public static HostPort of(String host, int port) {
        return new HostPort(host, port);
    }

    /**
     * Parses {@code host:port}, {@code [v6]:port}. Throws {@link IllegalArgumentException} with a
     * message fit to show a user (it becomes a {@link Problem} message).
     */
    public static HostPort parse(String text) {
        return HostPortParser.parse(text);
    }

    /** True when the host is an IPv6 literal (contains a colon). */
    public boolean isIpv6Literal() {
        return host.indexOf(':') >= 0;
    }

    @Override
    public String toString() {
        return isIpv6Literal() ? "[" + host + "]:" + port : host + ":" + port;
    }
}
