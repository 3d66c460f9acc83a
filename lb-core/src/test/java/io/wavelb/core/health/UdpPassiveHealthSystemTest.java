package io.wavelb.core.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.config.AdminConfig;
import io.wavelb.config.Algorithm;
import io.wavelb.config.HostPort;
import io.wavelb.config.ListenerConfig;
import io.wavelb.config.OutlierDetectionConfig;
import io.wavelb.config.Protocol;
import io.wavelb.config.RuntimeSettings;
import io.wavelb.config.TargetConfig;
import io.wavelb.config.TargetGroupConfig;
import io.wavelb.config.TcpSettings;
import io.wavelb.config.Transport;
import io.wavelb.config.UdpSettings;
import io.wavelb.config.WavelbConfig;
import io.wavelb.core.Wavelb;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.target.Target;
import io.wavelb.core.target.TargetGroup;
import io.wavelb.core.testing.EchoServer;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * UDP passive health with real traffic: replies end a target's failure run, and with
 * {@code udp_reply_timeout} a target that swallows datagrams without a word is ejected.
 */
@Timeout(60)
class UdpPassiveHealthSystemTest {

    private static final Duration REPLY_TIMEOUT = Duration.ofMillis(300);

    private static WavelbConfig config(OutlierDetectionConfig outliers, String... targets) {
        // idle 2s: the sweep that checks reply timeouts runs every 500 ms
        UdpSettings udp = new UdpSettings(Duration.ofSeconds(2), 1000, 2048);
        return new WavelbConfig(new AdminConfig(new HostPort("127.0.0.1", 0)),
                new RuntimeSettings(2, Transport.AUTO, Duration.ofSeconds(1)),
                List.of(new ListenerConfig("l", Protocol.UDP, new HostPort("127.0.0.1", 0), "g", udp, TcpSettings.DEFAULTS)),
                List.of(new TargetGroupConfig("g", Algorithm.MAGLEV,
                        java.util.Arrays.stream(targets).map(t -> TargetConfig.of(HostPort.parse(t))).toList(), 65537,
                        Optional.empty(), outliers, Duration.ofSeconds(30), false)));
    }

    /** A UDP target that takes every datagram and never answers (no ICMP either: the port is open). */
    private static final class SilentTarget implements AutoCloseable {
        final DatagramSocket socket;
        final Thread reader;

        SilentTarget() throws IOException {
            socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            reader = Thread.ofVirtual().start(() -> {
                byte[] buf = new byte[4096];
                while (!socket.isClosed()) {
                    try {
                        socket.receive(new DatagramPacket(buf, buf.length));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        String address() {
            return "127.0.0.1:" + socket.getLocalPort();
        }

        @Override
        public void close() {
            socket.close();
        }
    }

    /**
     * One client flow. Unlike {@code UdpClient} it skips replies to earlier datagrams (a reply that
     * came after its wait ran out on a busy machine), so a late reply never fails the test.
     */
    private static final class Flow implements AutoCloseable {
        final DatagramSocket socket;
        final InetSocketAddress vip;

        Flow(InetSocketAddress vip) throws IOException {
            this.socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            this.vip = vip;
        }

        /** The name of the target that answered {@code payload}, or null when no answer came within the wait. */
        String target(String payload, int timeoutMillis) throws IOException {
            byte[] out = payload.getBytes(StandardCharsets.UTF_8);
            socket.send(new DatagramPacket(out, out.length, vip));
            long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
            byte[] in = new byte[2048];
            while (true) {
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0) {
                    return null;
                }
                socket.setSoTimeout((int) left);
                DatagramPacket reply = new DatagramPacket(in, in.length);
                try {
                    socket.receive(reply);
                } catch (java.net.SocketTimeoutException e) {
                    return null;
                }
                String text = new String(in, 0, reply.getLength(), StandardCharsets.UTF_8);
                int bar = text.indexOf('|');
                if (bar >= 0 && text.substring(bar + 1).equals(payload)) {
                    return text.substring(0, bar);
                }
            }
        }

        String target(String payload) throws IOException {
            return target(payload, 2000);
        }

        @Override
        public void close() {
            socket.close();
        }
    }

    /** Opens flows until {@code wanted} of them go unanswered (they landed on the silent target); closes the rest. */
    private static List<Flow> flowsWithoutReply(InetSocketAddress vip, int wanted) throws IOException {
        List<Flow> silent = new ArrayList<>();
        for (int i = 0; i < 60 && silent.size() < wanted; i++) {
            Flow u = new Flow(vip);
            if (u.target("hello-" + i, 1000) == null) {
                silent.add(u);
            } else {
                u.close();
            }
        }
        assertThat(silent).as("flows hashed to the silent target").hasSize(wanted);
        return silent;
    }

    @Test
    void withAReplyTimeoutASilentTargetIsEjectedAndItsFlowsMoveToTheHealthyOne() throws Exception {
        OutlierDetectionConfig outliers = new OutlierDetectionConfig(2, Duration.ofSeconds(30), 50, REPLY_TIMEOUT);
        List<Flow> flows = List.of();
        try (EchoServer live = EchoServer.start("live"); SilentTarget silent = new SilentTarget();
             Wavelb w = Wavelb.start(config(outliers, silent.address(), live.address()), Optional.empty())) {
            TargetGroup g = w.balancer().targetGroups().get("g");
            Target silentTarget = g.member(silent.address());
            // One flow: a second search could land after the first flow's failures ejected the target.
            flows = flowsWithoutReply(w.balancer().address("l"), 1);
            for (int round = 0; round < 40 && !silentTarget.ejected(); round++) {
                for (Flow u : flows) {
                    u.target("anyone-" + round, 100);
                }
            }
            assertThat(silentTarget.ejected()).as("ejected after unanswered sessions").isTrue();
            assertThat(g.inRotation()).extracting(Target::id).containsExactly(live.address());
            for (Flow u : flows) {
                assertThat(u.target("moved")).as("the flow moved on its next datagram").isEqualTo("live");
            }
        } finally {
            flows.forEach(Flow::close);
        }
    }

    @Test
    void withoutAReplyTimeoutASilentTargetIsNotEjected() throws Exception {
        OutlierDetectionConfig outliers = new OutlierDetectionConfig(2, Duration.ofSeconds(30), 50);
        List<Flow> flows = List.of();
        try (EchoServer live = EchoServer.start("live"); SilentTarget silent = new SilentTarget();
             Wavelb w = Wavelb.start(config(outliers, silent.address(), live.address()), Optional.empty())) {
            TargetGroup g = w.balancer().targetGroups().get("g");
            Target silentTarget = g.member(silent.address());
            flows = flowsWithoutReply(w.balancer().address("l"), 3);
            // Several reply timeouts' worth of one-way traffic (syslog, send-only RTP look like this).
            for (int round = 0; round < 8; round++) {
                for (Flow u : flows) {
                    assertThat(u.target("one-way-" + round, 150)).isNull();
                }
            }
            assertThat(silentTarget.ejected()).isFalse();
            assertThat(g.inRotation()).hasSize(2);
        } finally {
            flows.forEach(Flow::close);
        }
    }

    /** An echo target that can be stopped and started again on the same port (replies {@code name|payload}). */
    private static final class RestartableEcho implements AutoCloseable {
        final int port;
        volatile DatagramSocket socket;

        RestartableEcho() throws IOException {
            DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            port = s.getLocalPort();
            serve(s);
        }

        private void serve(DatagramSocket s) {
            socket = s;
            Thread.ofVirtual().start(() -> {
                byte[] buf = new byte[4096];
                while (!s.isClosed()) {
                    try {
                        DatagramPacket p = new DatagramPacket(buf, buf.length);
                        s.receive(p);
                        byte[] out = ("flap|" + new String(buf, 0, p.getLength(), StandardCharsets.UTF_8))
                                .getBytes(StandardCharsets.UTF_8);
                        s.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        void stop() {
            socket.close();
        }

        /** Binds the same port again; the old socket's descriptor may take a moment to go (its reader is waking up). */
        void start() throws Exception {
            for (int attempt = 0; ; attempt++) {
                try {
                    serve(new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)));
                    return;
                } catch (java.net.BindException e) {
                    if (attempt >= 50) {
                        throw e;
                    }
                    Thread.sleep(20);
                }
            }
        }

        String address() {
            return "127.0.0.1:" + port;
        }

        @Override
        public void close() {
            socket.close();
        }
    }

    @Test
    void icmpErrorsFarApartWithRepliesInBetweenDoNotEject() throws Exception {
        OutlierDetectionConfig outliers = new OutlierDetectionConfig(2, Duration.ofSeconds(30), 50);
        Flow flow = null;
        try (EchoServer live = EchoServer.start("live"); RestartableEcho flap = new RestartableEcho();
             Wavelb w = Wavelb.start(config(outliers, flap.address(), live.address()), Optional.empty())) {
            TargetGroup g = w.balancer().targetGroups().get("g");
            Target flapTarget = g.member(flap.address());
            InetSocketAddress vip = w.balancer().address("l");
            for (int i = 0; i < 60 && flow == null; i++) {
                Flow u = new Flow(vip);
                if ("flap".equals(u.target("find-" + i))) {
                    flow = u;
                } else {
                    u.close();
                }
            }
            assertThat(flow).as("a flow on the flapping target").isNotNull();
            var stats = w.balancer().stats("l");
            for (int cycle = 1; cycle <= 4; cycle++) {
                // The target's port closes: the next datagram meets ICMP port unreachable, one failure.
                flap.stop();
                for (int i = 0; i < 50 && stats.total(ListenerCounter.CLOSED_TARGET_UNREACHABLE) < cycle; i++) {
                    flow.target("refused-" + cycle + "-" + i, 100);
                }
                assertThat(stats.total(ListenerCounter.CLOSED_TARGET_UNREACHABLE)).isEqualTo(cycle);
                // It comes back and answers: the failure run is over.
                flap.start();
                assertThat(flow.target("back-" + cycle)).as("cycle %d: still in rotation, answering", cycle)
                        .isEqualTo("flap");
            }
            assertThat(flapTarget.ejected()).isFalse();
        } finally {
            if (flow != null) {
                flow.close();
            }
        }
    }
}
