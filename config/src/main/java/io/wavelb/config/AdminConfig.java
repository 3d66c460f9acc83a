package io.wavelb.config;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * The admin HTTP endpoint. Loopback by default: it must never face the internet unless asked to.
 *
 * @param listen    where it listens (port 0: any free port, for tests; YAML requires 1..65535)
 * @param tokenFile a file whose content (trimmed) is the bearer token mutating calls must present;
 *                  empty means mutating calls are refused
 */
public record AdminConfig(HostPort listen, Optional<Path> tokenFile) {

    public static final AdminConfig DEFAULTS = new AdminConfig(new HostPort("127.0.0.1", 9901));

    public AdminConfig {
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(tokenFile, "tokenFile");
    }

    public AdminConfig(HostPort listen) {
        this(listen, Optional.empty());
    }
}
