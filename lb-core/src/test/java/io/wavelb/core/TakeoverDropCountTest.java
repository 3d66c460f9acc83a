package io.wavelb.core;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wavelb.config.AdminConfig;
import io.wavelb.config.Algorithm;
import io.wavelb.config.HostPort;
import io.wavelb.config.ListenerConfig;
import io.wavelb.config.Protocol;
import io.wavelb.config.RuntimeSettings;
import io.wavelb.config.TargetConfig;
import io.wavelb.config.TargetGroupConfig;
import io.wavelb.config.TcpSettings;
import io.wavelb.config.Transport;
import io.wavelb.config.UdpSettings;
import io.wavelb.config.WavelbConfig;
import io.wavelb.core.linux.LibC;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.takeover.RunningSide;
import io.wavelb.core.testing.HeldLoop;
import io.wavelb.core.testing.UdpSocketQueue;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The kernel drops on a session's socket while a takeover pauses reading are counted once, by
 * the process that takes the socket over, not also by the one it leaves: in-process, the running
 * balancer's {@link Handover} hands a session to a second balancer as a takeover does (copies of
 * the descriptors instead of SCM_RIGHTS), and the target overfills the session socket's small
 * receive queue in the pause.
 */
@Timeout(60)
class TakeoverDropCountTest {

    private static final int FLOOD = 200;

    private static WavelbConfig config(InetSocketAddress target) {
        return new WavelbConfig(AdminConfig.DEFAULTS, new RuntimeSettings(1, Transport.AUTO, Duration.ZERO),
                List.of(new ListenerConfig("a", Protocol.UDP, new HostPort("127.0.0.1", 0), "g",
                        UdpSettings.DEFAULTS.withSessionReceiveBuffer(2048), TcpSettings.DEFAULTS)),
                List.of(new TargetGroupConfig("g", Algorithm.MAGLEV,
                        List.of(TargetConfig.of(HostPort.parse("127.0.0.1:" + target.getPort()))), 65537)));
    }

    @Test
    void dropsInThePauseAreCountedOnceByTheNewProcess() throws Exception {
        try (DatagramSocket target = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            target.setSoTimeout(5000);
            client.setSoTimeout(5000);
            WavelbConfig config = config((InetSocketAddress) target.getLocalSocketAddress());
            try (LoadBalancer old = LoadBalancer.start(config); LoadBalancer fresh = LoadBalancer.start(config)) {
                byte[] open = "open".getBytes(US_ASCII);
                client.send(new DatagramPacket(open, open.length, old.address("a")));
                DatagramPacket first = new DatagramPacket(new byte[2048], 2048);
                target.receive(first);
                InetSocketAddress session = (InetSocketAddress) first.getSocketAddress();

                // Replies that queue while the old process's loop is held: it reads them together
                // (its drop count is read from then on), and none is dropped yet.
                try (HeldLoop held = HeldLoop.hold(old.loops().next())) {
                    for (int i = 0; i < 3; i++) {
                        reply(target, session, "early-" + i);
                    }
                }
                for (int i = 0; i < 3; i++) {
                    client.receive(new DatagramPacket(new byte[2048], 2048));
                }
                assertThat(UdpSocketQueue.of(session).drops()).isZero();

                RunningSide side = old.runningSide();
                side.offer();
                RunningSide.Sessions snapshot = side.snapshot();
                assertThat(snapshot.fds()).hasSize(1);
                assertThat(fresh.prepareSessions(snapshot.sessions(), copies(snapshot.fds()))).isEqualTo(1);
                RunningSide.Change change = side.freeze();

                // The pause: nobody reads the session socket; the target overfills its queue.
                for (int i = 0; i < FLOOD; i++) {
                    reply(target, session, "paused-" + i);
                }
                long kernel = UdpSocketQueue.of(session).drops();
                assertThat(kernel).as("replies the kernel dropped in the pause").isPositive();

                fresh.completeSessions(change.closed(), change.opened().sessions(), copies(change.opened().fds()));
                fresh.resumeReading();
                side.handedOver();

                // The new process reads what queued, and its sweep (within a second) reads the count.
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                        fresh.stats("a").total(ListenerCounter.UDP_SESSION_KERNEL_DROPS)).isEqualTo(kernel));
                assertThat(old.stats("a").total(ListenerCounter.UDP_SESSION_KERNEL_DROPS))
                        .as("the process taken over counts none of the pause's drops").isZero();
            }
        }
    }

    /**
     * A takeover that fails after the freeze (thaw), or between the snapshot and the freeze
     * (withdraw): the sessions are this process's alone again, and so are their drops.
     */
    @Test
    void whenTheTakeoverFailsTheProcessTakenOverCountsTheDropsAgain() throws Exception {
        try (DatagramSocket target = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            target.setSoTimeout(5000);
            try (LoadBalancer old = LoadBalancer.start(config((InetSocketAddress) target.getLocalSocketAddress()))) {
                byte[] open = "open".getBytes(US_ASCII);
                client.send(new DatagramPacket(open, open.length, old.address("a")));
                DatagramPacket first = new DatagramPacket(new byte[2048], 2048);
                target.receive(first);
                InetSocketAddress session = (InetSocketAddress) first.getSocketAddress();
                RunningSide side = old.runningSide();

                // Failed after the freeze.
                // (The descriptors a snapshot and a freeze name are this process's own: sent, the
                // kernel copies them; here nothing is sent.)
                side.offer();
                side.snapshot();
                side.freeze();
                for (int i = 0; i < FLOOD; i++) {
                    reply(target, session, "paused-" + i);
                }
                long afterFreeze = UdpSocketQueue.of(session).drops();
                assertThat(afterFreeze).isPositive();
                side.thaw();
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                        old.stats("a").total(ListenerCounter.UDP_SESSION_KERNEL_DROPS)).isEqualTo(afterFreeze));

                // Failed between the snapshot and the freeze: this process read on, but counted
                // nothing for the offered session until the offer was withdrawn.
                side.offer();
                side.snapshot();
                try (HeldLoop held = HeldLoop.hold(old.loops().next())) {
                    for (int i = 0; i < FLOOD; i++) {
                        reply(target, session, "offered-" + i);
                    }
                }
                long afterOffer = UdpSocketQueue.of(session).drops();
                assertThat(afterOffer).isGreaterThan(afterFreeze);
                side.withdraw();
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                        old.stats("a").total(ListenerCounter.UDP_SESSION_KERNEL_DROPS)).isEqualTo(afterOffer));
            }
        }
    }

    private static void reply(DatagramSocket target, InetSocketAddress session, String text) throws Exception {
        byte[] b = text.getBytes(US_ASCII);
        target.send(new DatagramPacket(b, b.length, session));
    }

    /** What the new process would receive: its own descriptors for the same sockets. */
    private static List<Integer> copies(List<Integer> fds) throws Exception {
        List<Integer> out = new ArrayList<>();
        for (int fd : fds) {
            out.add(LibC.dup(fd));
        }
        return out;
    }
}
