package io.wavelb.config;

/**
 * Whether the target is told the client's address with a PROXY protocol header: {@code V1} (text,
 * TCP only) or {@code V2} (binary; on UDP a header in front of every datagram).
 */
public enum ProxyProtocol {
    NONE, V1, V2;

    /** The spelling used in YAML ({@code none} is the default and rarely written). */
    public String yamlName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
