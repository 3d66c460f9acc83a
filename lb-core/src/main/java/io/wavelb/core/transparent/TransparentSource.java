package io.wavelb.core.transparent;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * The address a transparent upstream socket binds for a client: the client's own, in the target's
 * family. An IPv4 client on a dual-stack listener arrives as {@code ::ffff:a.b.c.d} and binds
 * {@code a.b.c.d} towards an IPv4 target; a client of the other family cannot be bound at all (a
 * socket has one family, and a datagram one source).
 */
public final class TransparentSource {

    private TransparentSource() {
    }

    /**
     * {@code client}'s address for a socket towards {@code target}, with {@code port} (the client's,
     * or 0 for any free one); null when the families differ.
     */
    public static InetSocketAddress of(InetSocketAddress client, InetSocketAddress target, int port) {
        InetAddress address = unmapped(client.getAddress());
        boolean v6Target = target.getAddress() instanceof Inet6Address;
        boolean v6Client = address instanceof Inet6Address;
        if (v6Target != v6Client) {
            return null;
        }
        return new InetSocketAddress(address, port);
    }

    /** {@code ::ffff:a.b.c.d} as {@code a.b.c.d}; any other address as it is. */
    static InetAddress unmapped(InetAddress address) {
        if (address instanceof Inet6Address v6) {
            byte[] b = v6.getAddress();
            boolean mapped = b[10] == (byte) 0xff && b[11] == (byte) 0xff;
            for (int i = 0; i < 10 && mapped; i++) {
                mapped = b[i] == 0;
            }
            if (mapped) {
                try {
                    return (Inet4Address) InetAddress.getByAddress(Arrays.copyOfRange(b, 12, 16));
                } catch (UnknownHostException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return address;
    }
}
