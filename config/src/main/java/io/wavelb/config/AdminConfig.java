package io.wavelb.config;

import java.util.Objects;

/** The admin HTTP endpoint. Loopback by default: it must never face the internet unless asked to. */
public record AdminConfig(HostPort listen) {

    public static final AdminConfig DEFAULTS = new AdminConfig(new HostPort("127.0.0.1", 9901));

    public AdminConfig {
        Objects.requireNonNull(listen, "listen");
    }
}
