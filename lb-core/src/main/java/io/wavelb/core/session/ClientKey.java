package io.wavelb.core.session;

import io.wavelb.config.ClientPrefix;
import java.net.InetAddress;

/**
 * One client for the per-client limits: the network of its address under the listener's
 * {@link ClientPrefix} (an IPv4 /32 and an IPv6 /64 by default), as two longs. Made once per new
 * flow, never per datagram.
 */
public record ClientKey(boolean v6, long high, long low) {

    public static ClientKey of(InetAddress address, ClientPrefix prefix) {
        byte[] a = address.getAddress();
        if (a.length == 16 && isV4Mapped(a)) {
            // ::ffff:a.b.c.d from a dual-stack socket is an IPv4 client: its /64 would be every IPv4 client.
            a = new byte[] {a[12], a[13], a[14], a[15]};
        }
        if (a.length == 4) {
            long v = ((a[0] & 0xffL) << 24) | ((a[1] & 0xffL) << 16) | ((a[2] & 0xffL) << 8) | (a[3] & 0xffL);
            long mask = prefix.v4() == 32 ? 0xffffffffL : (0xffffffffL << (32 - prefix.v4())) & 0xffffffffL;
            return new ClientKey(false, 0, v & mask);
        }
        long high = 0;
        long low = 0;
        for (int i = 0; i < 8; i++) {
            high = (high << 8) | (a[i] & 0xffL);
            low = (low << 8) | (a[i + 8] & 0xffL);
        }
        int bits = prefix.v6();
        if (bits <= 64) {
            low = 0;
            high = bits == 64 ? high : high & (-1L << (64 - bits));
        } else if (bits < 128) {
            low = low & (-1L << (128 - bits));
        }
        return new ClientKey(true, high, low);
    }

    private static boolean isV4Mapped(byte[] a) {
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
    }
}
