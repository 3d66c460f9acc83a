package io.wavelb.core.udp;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.config.ConfigLoader;
import io.wavelb.config.HexBytes;
import io.wavelb.config.QuicLbConfig;
import io.wavelb.config.WavelbConfig;
import io.wavelb.core.LoadBalancer;
import io.wavelb.core.quic.QuicLbCodec;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.testing.Ports;
import io.wavelb.core.testing.WithThreeEchoTargets;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Content-aware affinity on real sockets: datagrams that name a target (QUIC connection ID, ICE
 * ufrag) reach it from any client address; the rest fall back to the 5-tuple; each route counted.
 */
class AffinitySystemTest extends WithThreeEchoTargets {

    private static final String KEY = "8f95f09245765f80256934e50c66207f";
    private final List<DatagramSocket> sockets = new ArrayList<>();

    @AfterEach
    void closeSockets() {
        sockets.forEach(DatagramSocket::close);
    }

    private WavelbConfig config(String udp) throws Exception {
        return config(udp, 3);
    }

    /** One udp listener with {@code udp} as its settings, over the first {@code targets} of a, b, c (server IDs 1, 2, 3). */
    private WavelbConfig config(String udp, int targets) throws Exception {
        List<String> addresses = List.of(a.address(), b.address(), c.address());
        StringBuilder list = new StringBuilder();
        for (int i = 0; i < targets; i++) {
            list.append("      - address: ").append(addresses.get(i)).append('\n')
                    .append("        server_id: \"0x000").append(i + 1).append("\"\n");
        }
        return ConfigLoader.parse("""
                runtime:
                  event_loops: 2
                admin:
                  listen: 127.0.0.1:%d
                listeners:
                  - name: l
                    protocol: udp
                    listen: 127.0.0.1:%d
                    target_group: g
                    udp:
                %s
                target_groups:
                  - name: g
                    targets:
                %s""".formatted(Ports.freeTcpAndUdp(), Ports.freeTcpAndUdp(), udp.stripIndent().indent(6).stripTrailing(),
                list.toString().stripTrailing()), "affinity.yaml");
    }

    private DatagramSocket socket() throws IOException {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        s.setSoTimeout(2000);
        sockets.add(s);
        return s;
    }

    /** Sends {@code payload} from {@code from} and returns the name of the echo target that answered. */
    private String send(DatagramSocket from, byte[] payload) throws IOException {
        InetSocketAddress vip = lb.address("l");
        from.send(new DatagramPacket(payload, payload.length, vip));
        byte[] in = new byte[4096];
        DatagramPacket reply = new DatagramPacket(in, in.length);
        try {
            from.receive(reply);
        } catch (SocketTimeoutException e) {
            return null;
        }
        String text = new String(in, 0, reply.getLength(), StandardCharsets.ISO_8859_1);
        return text.substring(0, text.indexOf('|'));
    }

    private static byte[] shortHeader(byte[] cid) {
        byte[] p = new byte[1 + cid.length + 40];
        p[0] = 0x41;
        System.arraycopy(cid, 0, p, 1, cid.length);
        return p;
    }

    private long count(ListenerCounter c) {
        return lb.stats("l").total(c);
    }

    @Test
    void quicPacketsFollowTheirConnectionIdFromEveryClientAddress() throws Exception {
        lb = LoadBalancer.start(config("""
                affinity: quic
                quic_lb:
                  config_id: 1
                  server_id_length: 2
                  nonce_length: 6
                  key: %s""".formatted(KEY)));
        QuicLbCodec codec = new QuicLbCodec(new QuicLbConfig(1, 2, 6, Optional.of(new HexBytes(KEY))));
        for (int sid = 1; sid <= 3; sid++) {
            String expected = List.of("a", "b", "c").get(sid - 1);
            for (int client = 0; client < 8; client++) {
                byte[] cid = codec.encode(new byte[] {0, (byte) sid}, new byte[] {1, 2, 3, 4, 5, (byte) client});
                // A fresh socket each time: a new client address, as after NAT rebinding.
                assertThat(send(socket(), shortHeader(cid))).as("server id %d from client %d", sid, client).isEqualTo(expected);
            }
        }
        assertThat(count(ListenerCounter.QUIC_CID)).isEqualTo(24);

        // One client address whose connection moved (a migrated ID now arriving on an old 4-tuple).
        DatagramSocket one = socket();
        assertThat(send(one, shortHeader(codec.encode(new byte[] {0, 1}, new byte[6])))).isEqualTo("a");
        assertThat(send(one, shortHeader(codec.encode(new byte[] {0, 3}, new byte[6])))).isEqualTo("c");
        assertThat(count(ListenerCounter.CLOSED_REROUTED)).isEqualTo(1);

        // Server IDs nobody has, unroutable IDs and non-QUIC bytes use the 5-tuple, and stay on it.
        DatagramSocket stray = socket();
        String fallbackTarget = send(stray, shortHeader(codec.encode(new byte[] {0, 9}, new byte[6])));
        assertThat(fallbackTarget).isIn("a", "b", "c");
        assertThat(count(ListenerCounter.QUIC_UNKNOWN_SERVER_ID)).isEqualTo(1);
        byte[] unroutable = codec.encode(new byte[] {0, 2}, new byte[6]);
        unroutable[0] = (byte) (0xe0 | unroutable[0] & 0x1f);
        assertThat(send(stray, shortHeader(unroutable))).isEqualTo(fallbackTarget);
        assertThat(count(ListenerCounter.QUIC_UNROUTABLE)).isEqualTo(1);
        assertThat(send(stray, "not quic".getBytes(StandardCharsets.US_ASCII))).isEqualTo(fallbackTarget);
        assertThat(count(ListenerCounter.QUIC_FALLBACK)).isEqualTo(1);
    }

    @Test
    void aClientInitialIsBalancedAndItsHandshakeStaysOnOneTarget() throws Exception {
        lb = LoadBalancer.start(config("""
                affinity: quic
                quic_lb:
                  server_id_length: 2
                  nonce_length: 6"""));
        Set<String> picked = new HashSet<>();
        for (int client = 0; client < 30; client++) {
            DatagramSocket s = socket();
            // A v1 Initial with a random-looking, client-chosen DCID of config 1 (not ours: 0).
            byte[] initial = new byte[1200];
            initial[0] = (byte) 0xc3;
            initial[4] = 1;
            initial[5] = 8;
            initial[6] = (byte) 0x3f;
            initial[7] = (byte) client;
            String first = send(s, initial);
            picked.add(first);
            for (int again = 0; again < 3; again++) {
                assertThat(send(s, initial)).as("client %d, Initial %d", client, again).isEqualTo(first);
            }
        }
        assertThat(picked).as("Initials are spread by the 5-tuple").hasSizeGreaterThan(1);
        assertThat(count(ListenerCounter.QUIC_FALLBACK)).isEqualTo(120);
        assertThat(count(ListenerCounter.QUIC_UNKNOWN_SERVER_ID)).isZero();
    }

    static byte[] bindingRequest(String username) {
        byte[] user = username == null ? new byte[0] : username.getBytes(StandardCharsets.US_ASCII);
        int attr = username == null ? 0 : 4 + (user.length + 3 & ~3);
        byte[] m = new byte[20 + attr];
        m[1] = 0x01;
        m[3] = (byte) attr;
        m[4] = 0x21;
        m[5] = 0x12;
        m[6] = (byte) 0xA4;
        m[7] = 0x42;
        m[8] = (byte) user.length;
        if (username != null) {
            m[21] = 0x06;
            m[23] = (byte) user.length;
            System.arraycopy(user, 0, m, 24, user.length);
        }
        return m;
    }

    @Test
    void stunBindingRequestsFollowTheReceivingUfragFromEveryCandidate() throws Exception {
        lb = LoadBalancer.start(config("affinity: stun"));
        for (int candidate = 0; candidate < 6; candidate++) {
            assertThat(send(socket(), bindingRequest("0002Xq9z:peer" + candidate))).isEqualTo("b");
            assertThat(send(socket(), bindingRequest("0003Ab:peer" + candidate))).isEqualTo("c");
        }
        assertThat(count(ListenerCounter.STUN_SERVER_ID)).isEqualTo(12);

        // A ufrag with no server ID prefix: hashed, so all its candidates still meet on one target.
        Set<String> hashed = new HashSet<>();
        for (int candidate = 0; candidate < 6; candidate++) {
            hashed.add(send(socket(), bindingRequest("zzRandomUfrag:peer" + candidate)));
        }
        assertThat(hashed).hasSize(1);
        assertThat(count(ListenerCounter.STUN_UFRAG_HASH)).isEqualTo(6);

        // The DTLS/SRTP that follows on a candidate's address rides the session the check made.
        DatagramSocket media = socket();
        assertThat(send(media, bindingRequest("0001abc:peer"))).isEqualTo("a");
        for (int i = 0; i < 5; i++) {
            assertThat(send(media, ("srtp " + i).getBytes(StandardCharsets.US_ASCII))).isEqualTo("a");
        }
        // A plain Binding Request (no USERNAME) is counted and balanced by its 5-tuple.
        assertThat(send(socket(), bindingRequest(null))).isIn("a", "b", "c");
        assertThat(count(ListenerCounter.STUN_NO_USERNAME)).isEqualTo(1);
    }

    @Test
    void sourceIpAffinityKeepsEveryPortOfOneClientOnOneTarget() throws Exception {
        lb = LoadBalancer.start(config("affinity: source_ip"));
        Set<String> seen = new HashSet<>();
        for (int port = 0; port < 12; port++) {
            seen.add(send(socket(), "hello".getBytes(StandardCharsets.US_ASCII)));
        }
        assertThat(seen).hasSize(1);
    }

    @Test
    void targetsFedThroughTheAdminApiCarryServerIdsToo() throws Exception {
        lb = LoadBalancer.start(config("""
                affinity: quic
                quic_lb:
                  server_id_length: 2
                  nonce_length: 6
                """, 1));
        lb.replaceTargets("g", List.of(
                new io.wavelb.core.admin.AdminOperations.TargetSpec(io.wavelb.config.HostPort.parse(b.address()), 100,
                        Optional.of(new HexBytes("0002"))),
                new io.wavelb.core.admin.AdminOperations.TargetSpec(io.wavelb.config.HostPort.parse(c.address()), 100,
                        Optional.of(new HexBytes("0003")))));
        QuicLbCodec codec = new QuicLbCodec(new QuicLbConfig(0, 2, 6, Optional.empty()));
        for (int client = 0; client < 4; client++) {
            assertThat(send(socket(), shortHeader(codec.encode(new byte[] {0, 2}, new byte[6])))).isEqualTo("b");
            assertThat(send(socket(), shortHeader(codec.encode(new byte[] {0, 3}, new byte[6])))).isEqualTo("c");
            assertThat(send(socket(), shortHeader(codec.encode(new byte[] {0, 1}, new byte[6])))).isEqualTo("a");
        }
        assertThat(lb.targets().getFirst().targets()).extracting(t -> t.serverId())
                .containsExactly("0x0001", "0x0002", "0x0003");

        // The config's rules hold for fed targets: the listener's length, and one target per ID.
        var wrongLength = new io.wavelb.core.admin.AdminOperations.TargetSpec(io.wavelb.config.HostPort.parse(b.address()),
                100, Optional.of(new HexBytes("000002")));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> lb.replaceTargets("g", List.of(wrongLength)))
                .hasMessageContaining("targets[0].server_id: 0x000002 has 3 bytes; a quic listener on group 'g' reads 2");
        var taken = new io.wavelb.core.admin.AdminOperations.TargetSpec(io.wavelb.config.HostPort.parse(b.address()),
                100, Optional.of(new HexBytes("0001")));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> lb.replaceTargets("g", List.of(taken)))
                .hasMessageContaining("targets[0].server_id: 0x0001 is also " + a.address() + "'s");
    }
}
