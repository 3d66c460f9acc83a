package io.wavelb.core.session;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * A UDP client's address and port as four primitives: the key of a loop's session table. A
 * datagram's sender is decoded straight from the kernel's {@code sockaddr} into one reused
 * {@linkplain #probe() probe}, and the table is looked up with it, so a datagram of a known client
 * costs no {@link InetSocketAddress}; one is made only when a client's session opens.
 *
 * <p>An IPv4 address is kept as its IPv4-mapped IPv6 form ({@code ::ffff:a.b.c.d}), the form a
 * dual-stack socket reports it in, so a client is the same key whichever family its datagram came
 * through. The scope of a link-local IPv6 address is part of the key: the same address on two
 * interfaces is two clients.
 *
 * <p>A key in a table is never changed. Only a probe is, by the one loop that owns it.
 */
public final class ClientAddress {

    private static final long MAPPED_PREFIX = 0x0000_FFFF_0000_0000L;

    private long high;
    private long low;
    private int port;
    private int scope;
    private final boolean mutable;

    private ClientAddress(long high, long low, int port, int scope, boolean mutable) {
        this.high = high;
        this.low = low;
        this.port = port;
        this.scope = scope;
        this.mutable = mutable;
    }

    /** A key to be set, datagram after datagram, by its owner, and to look up with; never stored. */
    public static ClientAddress probe() {
        return new ClientAddress(0, 0, 0, 0, true);
    }

    /** The key of {@code address}: an immutable one, for a table. */
    public static ClientAddress of(InetSocketAddress address) {
        ClientAddress key = probe();
        key.set(address);
        return key.copy();
    }

    /** An immutable copy of this key, for a table. */
    public ClientAddress copy() {
        return new ClientAddress(high, low, port, scope, false);
    }

    /** Sets a probe to an IPv4 address ({@code address} in host order, as a 32-bit number) and port. */
    public ClientAddress setV4(int address, int port) {
        return set(0, MAPPED_PREFIX | (address & 0xFFFF_FFFFL), port, 0);
    }

    /** Sets a probe to an IPv6 address (its 16 bytes as two big-endian halves), port and scope. */
    public ClientAddress setV6(long high, long low, int port, int scope) {
        return set(high, low, port, isV4Mapped(high, low) ? 0 : scope);
    }

    /**
     * Sets a probe to {@code address}. Allocation-free for an IPv4 address (the path that serves
     * without the batched listener reads still looks up its sessions this way); an IPv6 one costs
     * the copy of its 16 bytes the JDK makes.
     */
    public ClientAddress set(InetSocketAddress address) {
        InetAddress ip = address.getAddress();
        if (ip instanceof Inet4Address v4) {
            // Inet4Address's hash code is its address, in host order (the JDK has kept it so since 1.0).
            return setV4(v4.hashCode(), address.getPort());
        }
        if (ip == null) {
            throw new IllegalArgumentException("unresolved client address " + address);
        }
        byte[] b = ip.getAddress();
        return setV6(bigEndian(b, 0), bigEndian(b, 8), address.getPort(), ((Inet6Address) ip).getScopeId());
    }

    private ClientAddress set(long high, long low, int port, int scope) {
        if (!mutable) {
            throw new IllegalStateException("a table's key is never changed; set a probe");
        }
        this.high = high;
        this.low = low;
        this.port = port;
        this.scope = scope;
        return this;
    }

    private static boolean isV4Mapped(long high, long low) {
        return high == 0 && (low & 0xFFFF_FFFF_0000_0000L) == MAPPED_PREFIX;
    }

    private static long bigEndian(byte[] b, int from) {
        long v = 0;
        for (int i = from; i < from + 8; i++) {
            v = v << 8 | (b[i] & 0xFF);
        }
        return v;
    }

    /** Whether this is an IPv4 address (stored as its mapped IPv6 form). */
    public boolean isV4() {
        return isV4Mapped(high, low);
    }

    /** The IPv4 address in host order; only when {@link #isV4()}. */
    public int v4() {
        return (int) low;
    }

    /** The first 8 bytes of the IPv6 (or mapped IPv4) address, big-endian. */
    public long high() {
        return high;
    }

    /** The last 8 bytes of the IPv6 (or mapped IPv4) address, big-endian. */
    public long low() {
        return low;
    }

    public int port() {
        return port;
    }

    /** The IPv6 scope id (interface index), 0 when none. */
    public int scope() {
        return scope;
    }

    /** The address as the JDK names it: an {@link Inet4Address} for IPv4 (mapped or not). */
    public InetSocketAddress toSocketAddress() {
        try {
            if (isV4()) {
                int a = v4();
                return new InetSocketAddress(InetAddress.getByAddress(new byte[] {
                        (byte) (a >>> 24), (byte) (a >>> 16), (byte) (a >>> 8), (byte) a}), port);
            }
            byte[] b = new byte[16];
            for (int i = 0; i < 8; i++) {
                b[i] = (byte) (high >>> (56 - 8 * i));
                b[8 + i] = (byte) (low >>> (56 - 8 * i));
            }
            InetAddress ip = scope != 0 ? Inet6Address.getByAddress(null, b, scope) : InetAddress.getByAddress(b);
            return new InetSocketAddress(ip, port);
        } catch (UnknownHostException e) {
            throw new AssertionError("a 4- or 16-byte address is always accepted", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClientAddress k && k.low == low && k.port == port && k.high == high && k.scope == scope;
    }

    @Override
    public int hashCode() {
        // The low half carries an IPv4 address and the changing end of most IPv6 ones.
        long h = low * 0x9E37_79B9_7F4A_7C15L ^ high ^ ((long) port << 16 | scope);
        h *= 0xBF58_476D_1CE4_E5B9L;
        return (int) (h ^ h >>> 32);
    }

    @Override
    public String toString() {
        return toSocketAddress().toString();
    }
}
