package io.wavelb.bench;

import io.wavelb.config.HexBytes;
import io.wavelb.config.QuicLbConfig;
import io.wavelb.core.quic.QuicHeaders;
import io.wavelb.core.quic.QuicLbCodec;
import io.wavelb.core.quic.ServerIds;
import io.wavelb.core.stun.StunMessages;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What {@code affinity: quic} and {@code stun} add per datagram: reading the destination connection
 * ID of a short-header packet, decoding its server ID (plaintext, single-pass AES, four-pass
 * Feistel) and finding the target among 16; and reading a Binding Request's ufrag. Seeded packets
 * from 1024 different IDs; the data plane's scratch-array calling convention.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class QuicRoutingBenchmark {

    private static final int MASK = 1023;
    private static final int TARGETS = 16;

    /** server ID + nonce lengths: 2+6 four passes (8 bytes), 8+8 single pass, 2+6 plaintext. */
    @Param({"plaintext", "four_pass", "single_pass"})
    public String mode;

    private QuicLbCodec codec;
    private ServerIds<Integer> targets;
    private byte[][] packets;
    private byte[][] stun;
    private byte[] serverId;
    private int next;

    @Setup
    public void setUp() {
        Random random = new Random(42);
        int sidLength = mode.equals("single_pass") ? 8 : 2;
        int nonceLength = mode.equals("single_pass") ? 8 : 6;
        byte[] key = new byte[16];
        random.nextBytes(key);
        QuicLbConfig config = new QuicLbConfig(0, sidLength, nonceLength,
                mode.equals("plaintext") ? Optional.empty() : Optional.of(HexBytes.of(key)));
        codec = new QuicLbCodec(config);
        serverId = new byte[sidLength];
        List<byte[]> ids = new ArrayList<>();
        List<Integer> owners = new ArrayList<>();
        for (int t = 0; t < TARGETS; t++) {
            byte[] sid = new byte[sidLength];
            sid[sidLength - 1] = (byte) (t + 1);
            ids.add(sid);
            owners.add(t);
        }
        targets = new ServerIds<>(ids, owners);
        packets = new byte[MASK + 1][];
        stun = new byte[MASK + 1][];
        for (int i = 0; i <= MASK; i++) {
            byte[] nonce = new byte[nonceLength];
            random.nextBytes(nonce);
            byte[] cid = codec.encode(ids.get(random.nextInt(TARGETS)), nonce);
            byte[] p = new byte[QuicHeaders.PREFIX];
            p[0] = 0x41;
            System.arraycopy(cid, 0, p, 1, cid.length);
            packets[i] = p;
            stun[i] = bindingRequest(String.format("%04x%08x:client%d", i % TARGETS + 1, random.nextInt(), i));
        }
    }

    private static byte[] bindingRequest(String username) {
        byte[] user = username.getBytes(StandardCharsets.US_ASCII);
        int padded = user.length + 3 & ~3;
        // PRIORITY and ICE-CONTROLLING before USERNAME, as browsers send them.
        byte[] m = new byte[20 + 8 + 12 + 4 + padded];
        m[1] = 0x01;
        m[2] = (byte) (m.length - 20 >>> 8);
        m[3] = (byte) (m.length - 20);
        m[4] = 0x21;
        m[5] = 0x12;
        m[6] = (byte) 0xA4;
        m[7] = 0x42;
        m[20] = 0x00;
        m[21] = 0x24;
        m[23] = 4;
        m[28] = (byte) 0x80;
        m[29] = 0x2a;
        m[31] = 8;
        m[40] = 0x00;
        m[41] = 0x06;
        m[43] = (byte) user.length;
        System.arraycopy(user, 0, m, 44, user.length);
        return m;
    }

    @Benchmark
    public Integer quicShortHeaderToTarget() {
        byte[] p = packets[next++ & MASK];
        int kind = QuicHeaders.classify(p, p.length, codec, serverId);
        return kind == QuicHeaders.SERVER_ID ? targets.find(serverId, serverId.length) : null;
    }

    @Benchmark
    public Integer stunUfragToTarget() {
        byte[] m = stun[next++ & MASK];
        long ufrag = StunMessages.receivingUfrag(m, m.length, m.length);
        return ufrag < 0 ? null : targets.findHexPrefix(m, (int) (ufrag >>> 32), (int) ufrag);
    }
}
