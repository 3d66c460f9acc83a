package io.wavelb.core.transport;

import io.netty.channel.unix.Socket;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;

/**
 * Netty's socket wrapper for a descriptor wavelb polls itself (a UDP session's upstream socket, a
 * native TCP relay's target socket), made for the target's family so an IPv4 target gets an
 * AF_INET socket, with the options Netty keeps protected: IP_TRANSPARENT and any integer option.
 */
public final class BareSocket extends Socket {

    /** From linux/in.h and linux/in6.h: a socket that may bind and send from an address not of this host. */
    private static final int SOL_IP = 0;
    private static final int IP_TRANSPARENT = 19;
    private static final int SOL_IPV6 = 41;
    private static final int IPV6_TRANSPARENT = 75;

    /** Wraps {@code fd}, a socket this process already has (one a takeover handed over). */
    public BareSocket(int fd) {
        super(fd);
    }

    /** A new non-blocking UDP socket of {@code target}'s family. */
    public static BareSocket datagramFor(InetSocketAddress target) {
        return new BareSocket(newSocketDgram0(target.getAddress() instanceof Inet6Address));
    }

    /** A new non-blocking TCP socket of {@code target}'s family. */
    public static BareSocket streamFor(InetSocketAddress target) {
        return new BareSocket(newSocketStream0(target.getAddress() instanceof Inet6Address));
    }

    /**
     * Lets the socket bind an address not of this host (IP_TRANSPARENT, or IPV6_TRANSPARENT for an
     * IPv6 socket): needs CAP_NET_RAW or CAP_NET_ADMIN.
     */
    public void setTransparent(boolean v6) throws IOException {
        setIntOpt(v6 ? SOL_IPV6 : SOL_IP, v6 ? IPV6_TRANSPARENT : IP_TRANSPARENT, 1);
    }

    /** {@code setsockopt(level, option, value)} for an integer option. */
    public void setIntOption(int level, int option, int value) throws IOException {
        setIntOpt(level, option, value);
    }
}
