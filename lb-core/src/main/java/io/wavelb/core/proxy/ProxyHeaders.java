package io.wavelb.core.proxy;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * PROXY protocol headers (HAProxy's proxy-protocol.txt, versions 1 and 2) that tell a target the
 * client's address. Built once per TCP connection or UDP session, never per datagram.
 *
 * <p>Version 2 on UDP is the same binary header with transport DGRAM, in front of every datagram:
 * 12-byte signature, {@code 0x21} (version 2, command PROXY), {@code 0x12} (IPv4, DGRAM) or
 * {@code 0x22} (IPv6, DGRAM), a 2-byte big-endian length of the address block (12 or 36), then
 * source address, destination address, source port, destination port, then the payload.
 */
public final class ProxyHeaders {

    static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    private static final int V2_PROXY = 0x21;
    private static final int INET_STREAM = 0x11, INET_DGRAM = 0x12, INET6_STREAM = 0x21, INET6_DGRAM = 0x22;

    private ProxyHeaders() {
    }

    /**
     * {@code PROXY TCP4 src dst sport dport\r\n}. When the two addresses are of different families
     * (an IPv4 client on a dual-stack IPv6 listener) both are written as IPv6.
     */
    public static byte[] v1(InetSocketAddress client, InetSocketAddress listener) {
        InetAddress src = client.getAddress();
        InetAddress dst = listener.getAddress();
        boolean v6 = src instanceof Inet6Address || dst instanceof Inet6Address;
        String line = "PROXY " + (v6 ? "TCP6 " : "TCP4 ") + text(src, v6) + " " + text(dst, v6) + " "
                + client.getPort() + " " + listener.getPort() + "\r\n";
        return line.getBytes(StandardCharsets.US_ASCII);
    }

    /** The version 2 header for a TCP stream ({@code dgram} false) or a UDP datagram ({@code dgram} true). */
    public static byte[] v2(InetSocketAddress client, InetSocketAddress listener, boolean dgram) {
        InetAddress src = client.getAddress();
        InetAddress dst = listener.getAddress();
        boolean v6 = src instanceof Inet6Address || dst instanceof Inet6Address;
        byte[] s = v6 ? sixteen(src) : src.getAddress();
        byte[] d = v6 ? sixteen(dst) : dst.getAddress();
        int addressBlock = s.length + d.length + 4;
        byte[] h = new byte[16 + addressBlock];
        System.arraycopy(V2_SIGNATURE, 0, h, 0, 12);
        h[12] = V2_PROXY;
        h[13] = (byte) (v6 ? (dgram ? INET6_DGRAM : INET6_STREAM) : (dgram ? INET_DGRAM : INET_STREAM));
        h[14] = (byte) (addressBlock >>> 8);
        h[15] = (byte) addressBlock;
        int at = 16;
        System.arraycopy(s, 0, h, at, s.length);
        at += s.length;
        System.arraycopy(d, 0, h, at, d.length);
        at += d.length;
        h[at++] = (byte) (client.getPort() >>> 8);
        h[at++] = (byte) client.getPort();
        h[at++] = (byte) (listener.getPort() >>> 8);
        h[at] = (byte) listener.getPort();
        return h;
    }

    private static String text(InetAddress a, boolean v6) {
        if (!v6) {
            return a.getHostAddress();
        }
        byte[] b = sixteen(a);
        StringBuilder out = new StringBuilder(39);
        for (int i = 0; i < 16; i += 2) {
            if (i > 0) {
                out.append(':');
            }
            out.append(Integer.toHexString((b[i] & 0xff) << 8 | b[i + 1] & 0xff));
        }
        return out.toString();
    }

    /** The address as 16 bytes: IPv4 as an IPv4-mapped IPv6 address (::ffff:a.b.c.d). */
    private static byte[] sixteen(InetAddress a) {
        if (a instanceof Inet4Address) {
            byte[] b = new byte[16];
            b[10] = (byte) 0xff;
            b[11] = (byte) 0xff;
            System.arraycopy(a.getAddress(), 0, b, 12, 4);
            return b;
        }
        return a.getAddress();
    }
}
