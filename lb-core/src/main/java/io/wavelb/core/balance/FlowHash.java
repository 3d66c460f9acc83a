package io.wavelb.core.balance;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Deterministic 64-bit hashes of flows and backend ids.
 *
 * <p>The values are part of wavelb's behaviour, not an implementation detail: every instance behind
 * one ECMP route must send a given flow to the same backend (Maglev NSDI'16 §3.3), so these functions
 * use fixed seeds and never {@code Object.hashCode()} of anything but {@link Inet4Address}, whose
 * value is the address itself. Changing a constant here re-shuffles every flow of a rolling upgrade;
 * the test vectors in {@code FlowHashTest} pin them.
 *
 * <p>Flow hashes chain murmur3's {@code fmix64} finalizer (Appleby, MurmurHash3): each step is a
 * bijection with full avalanche, so each input word changes every output bit with probability ~1/2.
 * For IPv4 nothing is allocated; IPv6 copies the 16 address bytes once.
 */
public final class FlowHash {

    /** IP protocol numbers (IANA), the {@code protocol} argument of {@link #fiveTuple}. */
    public static final int TCP = 6, UDP = 17;

    // Arbitrary fixed seeds (digits of pi), one per kind of key so a 5-tuple hash and a
    // source-ip hash of the same client are unrelated.
    private static final long SEED_FIVE_TUPLE = 0x243F6A8885A308D3L;
    private static final long SEED_SOURCE_IP = 0x13198A2E03707344L;

    private static final VarHandle LONG_BE =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG_LE =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT_LE =
            MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private FlowHash() {
    }

    /**
     * Hash of a flow's 5-tuple, as seen on the listener (client address and port, listener address
     * and port). Not symmetric: replies are matched by the session table, not re-hashed.
     */
    public static long fiveTuple(int protocol, InetAddress srcIp, int srcPort, InetAddress dstIp, int dstPort) {
        long h = absorb(SEED_FIVE_TUPLE, srcIp);
        h = absorb(h, dstIp);
        long rest = ((long) (protocol & 0xff) << 32) | ((long) (srcPort & 0xffff) << 16) | (dstPort & 0xffff);
        return fmix64(h ^ rest);
    }

    /** Hash of the client address alone: every flow of one client maps to one backend. */
    public static long sourceIp(InetAddress srcIp) {
        return absorb(SEED_SOURCE_IP, srcIp);
    }

    /**
     * xxHash64 (Collet, XXH64 spec) of the string's UTF-8 bytes. Used for the Maglev permutation of a
     * backend id, off the packet path; the reference test vectors hold for it.
     */
    public static long ofString(String s, long seed) {
        return xxHash64(s.getBytes(StandardCharsets.UTF_8), seed);
    }

    private static long absorb(long h, InetAddress address) {
        Objects.requireNonNull(address, "address");
        if (address instanceof Inet4Address) {
            // OpenJDK's Inet4Address.hashCode() is the address as a big-endian int (FlowHashTest
            // asserts this against getAddress()), which avoids getAddress()'s defensive copy.
            return fmix64(h ^ (address.hashCode() & 0xFFFF_FFFFL));
        }
        if (address instanceof Inet6Address) {
            byte[] b = address.getAddress();
            h = fmix64(h ^ (long) LONG_BE.get(b, 0));
            return fmix64(h ^ (long) LONG_BE.get(b, 8));
        }
        throw new IllegalArgumentException("address: " + address + " (expected IPv4 or IPv6)");
    }

    /** murmur3 64-bit finalizer. */
    /**
     * A well-spread hash of a sequence number: {@code udp.mode: per_packet} gives each datagram the
     * next one, so the picker's table (weights included) decides every datagram on its own.
     */
    public static long ofSequence(long n) {
        return fmix64(n + 0x9E3779B97F4A7C15L);
    }

    static long fmix64(long k) {
        k ^= k >>> 33;
        k *= 0xFF51AFD7ED558CCDL;
        k ^= k >>> 33;
        k *= 0xC4CEB9FE1A85EC53L;
        k ^= k >>> 33;
        return k;
    }

    private static final long P1 = 0x9E3779B185EBCA87L;
    private static final long P2 = 0xC2B2AE3D27D4EB4FL;
    private static final long P3 = 0x165667B19E3779F9L;
    private static final long P4 = 0x85EBCA77C2B2AE63L;
    private static final long P5 = 0x27D4EB2F165667C5L;

    static long xxHash64(byte[] in, long seed) {
        return xxHash64(in, 0, in.length, seed);
    }

    private static final long SEED_BYTES = 0xA4093822299F31D0L;

    /**
     * Hash of a byte range that identifies a flow across client addresses (an ICE ufrag): every
     * balancer instance computes the same value, so they all pick the same target for it.
     */
    public static long ofBytes(byte[] in, int offset, int length) {
        return fmix64(xxHash64(in, offset, length, SEED_BYTES));
    }

    static long xxHash64(byte[] in, int offset, int length, long seed) {
        Objects.checkFromIndexSize(offset, length, in.length);
        int len = length;
        int i = offset;
        int end = offset + length;
        long h;
        if (len >= 32) {
            long v1 = seed + P1 + P2;
            long v2 = seed + P2;
            long v3 = seed;
            long v4 = seed - P1;
            for (int limit = end - 32; i <= limit; i += 32) {
                v1 = round(v1, (long) LONG_LE.get(in, i));
                v2 = round(v2, (long) LONG_LE.get(in, i + 8));
                v3 = round(v3, (long) LONG_LE.get(in, i + 16));
                v4 = round(v4, (long) LONG_LE.get(in, i + 24));
            }
            h = Long.rotateLeft(v1, 1) + Long.rotateLeft(v2, 7) + Long.rotateLeft(v3, 12) + Long.rotateLeft(v4, 18);
            h = mergeRound(h, v1);
            h = mergeRound(h, v2);
            h = mergeRound(h, v3);
            h = mergeRound(h, v4);
        } else {
            h = seed + P5;
        }
        h += len;
        for (; i + 8 <= end; i += 8) {
            h ^= round(0, (long) LONG_LE.get(in, i));
            h = Long.rotateLeft(h, 27) * P1 + P4;
        }
        if (i + 4 <= end) {
            h ^= ((int) INT_LE.get(in, i) & 0xFFFF_FFFFL) * P1;
            h = Long.rotateLeft(h, 23) * P2 + P3;
            i += 4;
        }
        for (; i < end; i++) {
            h ^= (in[i] & 0xFFL) * P5;
            h = Long.rotateLeft(h, 11) * P1;
        }
        h ^= h >>> 33;
        h *= P2;
        h ^= h >>> 29;
        h *= P3;
        h ^= h >>> 32;
        return h;
    }

    private static long round(long acc, long lane) {
        acc += lane * P2;
        acc = Long.rotateLeft(acc, 31);
        return acc * P1;
    }

    private static long mergeRound(long acc, long v) {
        acc ^= round(0, v);
        return acc * P1 + P4;
    }
}
