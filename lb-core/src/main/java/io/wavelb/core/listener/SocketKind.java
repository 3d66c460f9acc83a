package io.wavelb.core.listener;

/**
 * What an inherited descriptor must be for a listener to use it, decided from the socket options
 * the kernel reports for it (socket(7): {@code SO_DOMAIN}, {@code SO_TYPE}, {@code SO_PROTOCOL},
 * {@code SO_ACCEPTCONN}). Numbers are Linux's generic ABI (asm-generic/socket.h, linux/in.h), the
 * one of every architecture Netty's epoll transport ships for.
 */
public enum SocketKind {
    /** A TCP socket in the LISTEN state, IPv4 or IPv6. */
    TCP_LISTENER,
    /** A UDP socket, IPv4 or IPv6. */
    UDP;

    static final int AF_UNIX = 1;
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    static final int SOCK_STREAM = 1;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_SEQPACKET = 5;
    static final int IPPROTO_TCP = 6;
    static final int IPPROTO_UDP = 17;

    /**
     * @throws IllegalArgumentException saying what the socket is instead, and what wavelb needs
     */
    public static SocketKind of(int domain, int type, int protocol, boolean listening) {
        String family = switch (domain) {
            case AF_INET -> "IPv4";
            case AF_INET6 -> "IPv6";
            case AF_UNIX -> throw new IllegalArgumentException("a Unix domain socket (ListenStream=/ListenDatagram= with a"
                    + " path); wavelb listens on IPv4/IPv6 addresses only");
            default -> throw new IllegalArgumentException("a socket of address family " + domain
                    + "; wavelb listens on IPv4/IPv6 addresses only");
        };
        if (type == SOCK_STREAM && protocol == IPPROTO_TCP) {
            if (!listening) {
                // Accept=yes hands the service one accepted connection per instance, not the listener.
                throw new IllegalArgumentException("an " + family + " TCP socket that is not listening (a connection:"
                        + " the .socket unit must have Accept=no)");
            }
            return TCP_LISTENER;
        }
        if (type == SOCK_DGRAM && protocol == IPPROTO_UDP) {
            return UDP;
        }
        String what = switch (type) {
            case SOCK_STREAM -> "stream";
            case SOCK_DGRAM -> "datagram";
            case SOCK_SEQPACKET -> "seqpacket";
            default -> "type " + type;
        };
        throw new IllegalArgumentException("an " + family + " " + what + " socket of IP protocol " + protocol
                + "; wavelb uses TCP (ListenStream=) and UDP (ListenDatagram=) sockets only");
    }

    public boolean udp() {
        return this == UDP;
    }
}
