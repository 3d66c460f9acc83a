package io.wavelb.config;

/** Which Netty transport to run on. {@code AUTO} prefers epoll and falls back to NIO. */
public enum Transport {
    AUTO, EPOLL, IO_URING, NIO;

    public String yamlName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
