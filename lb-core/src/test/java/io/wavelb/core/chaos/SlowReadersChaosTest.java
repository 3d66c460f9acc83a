package io.wavelb.core.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wavelb.core.testing.ControlFlows;
import io.wavelb.core.testing.EchoServer;
import io.wavelb.core.testing.Ports;
import io.wavelb.core.testing.UdpClient;
import io.wavelb.core.testing.WavelbProcess;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Thousands of TCP clients that stop reading a target that streams as fast as it can: without a
 * process-wide bound their buffers take all direct memory, every flow stalls and SIGTERM hangs.
 * Here wavelb runs as its own process with 64 MiB of direct memory and a 32 MiB budget: memory
 * must stay within the budget, a control UDP flow and a control TCP connection to a healthy target
 * must keep being served, new flows must be admitted once the slow clients are gone, and SIGTERM
 * must end the process within the grace period plus 5 s.
 */
@Tag("chaos")
@Timeout(120)
class SlowReadersChaosTest {

    private static final int SLOW_CLIENTS = 2000;
    private static final long BUDGET = 32L << 20;

    @TempDir
    Path dir;

    @Test
    void slowReadersCannotTakeTheMemoryOfEveryOtherFlow() throws Exception {
        int streamPort = Ports.freeTcpAndUdp();
        int controlPort = Ports.freeTcpAndUdp();
        int admin = Ports.freeTcpAndUdp();
        List<SocketChannel> slow = new ArrayList<>();
        try (StreamingTarget stream = StreamingTarget.streaming(); EchoServer echo = EchoServer.start("echo");
             WavelbProcess wavelb = WavelbProcess.start(dir, WavelbProcess.Spec.of("""
                     admin:
                       listen: 127.0.0.1:%d
                     runtime:
                       event_loops: 2
                       memory_budget: 32MiB
                       shutdown_grace_period: %ds
                     listeners:
                       - name: stream
                         protocol: tcp
                         listen: 127.0.0.1:%d
                         target_group: streamer
                       - name: control
                         protocol: tcp_udp
                         listen: 127.0.0.1:%d
                         target_group: echo
                     target_groups:
                       - name: streamer
                         targets:
                           - address: %s
                       - name: echo
                         targets:
                           - address: %s
                     """.formatted(admin, Chaos.GRACE.toSeconds(), streamPort, controlPort, stream.address(), echo.address()),
                     admin).jvm("-XX:MaxDirectMemorySize=64m", "-Xmx256m"))) {
            InetSocketAddress streamVip = new InetSocketAddress("127.0.0.1", streamPort);
            InetSocketAddress controlVip = new InetSocketAddress("127.0.0.1", controlPort);
            assertThat(wavelb.metric("wavelb_memory_budget_bytes").orElse(0)).isEqualTo((double) BUDGET);

            AtomicBoolean sampling = new AtomicBoolean(true);
            AtomicLong maxUsed = new AtomicLong(-1);
            Thread sampler = Thread.ofPlatform().name("memory-sampler").start(() -> {
                while (sampling.get()) {
                    wavelb.metric("wavelb_memory_used_bytes").ifPresent(v -> maxUsed.accumulateAndGet((long) v, Math::max));
                    sleep(200);
                }
            });
            // Control flows, opened before the storm, asking all through it.
            ControlFlows control = ControlFlows.start(controlVip, controlVip, Duration.ofMillis(20), 3000);
            try {
                Chaos.waitForRequests(control, 10);
                // The storm: slow readers opened at a bounded rate (~500/s); they never read.
                for (int i = 0; i < SLOW_CLIENTS; i++) {
                    SocketChannel c = SocketChannel.open();
                    c.setOption(StandardSocketOptions.SO_RCVBUF, 4096);
                    slow.add(c);
                    try {
                        c.connect(streamVip);
                    } catch (IOException e) {
                        // refused under overload: counted by wavelb, nothing to do here
                    }
                    if (i % 100 == 99) {
                        sleep(200);
                    }
                }
                sleep(5000);
            } finally {
                control.close();
                sampling.set(false);
                sampler.join(10_000);
            }
            String summary = control.summary() + "; max direct memory used " + maxUsed.get() + " of " + BUDGET
                    + "; the streaming target accepted " + stream.accepted();
            System.out.println(summary);
            // Requests every 20 ms, each waiting up to 2 s: a stalled balancer shows as few asked as well as unanswered.
            assertThat(control.udp().asked()).as(summary).isGreaterThan(100);
            assertThat(control.udp().servedFraction()).as(summary).isGreaterThanOrEqualTo(0.99);
            assertThat(control.tcp().servedFraction()).as(summary).isGreaterThanOrEqualTo(0.99);
            assertThat(maxUsed.get()).as("direct memory used, read from /metrics: " + summary).isBetween(1L, BUDGET);
            assertThat(wavelb.metric("wavelb_overload_actions_total", "action=\"stop_accepting\"").orElse(0))
                    .as("the slow readers pushed wavelb into overload").isPositive();
            assertThat(wavelb.metric("wavelb_dropped_total", "listener=\"stream\"", "reason=\"overload\"").orElse(0))
                    .as("connections refused under overload are counted").isPositive();
            assertThat(wavelb.log()).contains("overload: stop_accepting on: direct memory");

            // The slow clients leave; wavelb recovers by itself and admits new flows from another client.
            for (SocketChannel c : slow) {
                c.close();
            }
            slow.clear();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() ->
                    wavelb.metric("wavelb_overload_active", "action=\"stop_accepting\"").orElse(1) == 0
                            && wavelb.metric("wavelb_tcp_connections", "listener=\"stream\"").orElse(1) == 0);
            try (UdpClient fresh = new UdpClient(controlVip)) {
                assertThat(fresh.target("after", 2000)).isEqualTo("echo");
            }
            try (Socket fresh = new Socket()) {
                fresh.connect(streamVip, 5000);
                fresh.setSoTimeout(5000);
                assertThat(fresh.getInputStream().readNBytes(64 * 1024)).hasSize(64 * 1024);
            }
            assertThat(wavelb.status("/healthz")).isEqualTo(200);
            assertThat(wavelb.stop(Chaos.STOP_LIMIT)).as("SIGTERM ends wavelb within the grace period + 5 s, exit 0:\n"
                    + wavelb.logTail()).isZero();
        } finally {
            for (SocketChannel c : slow) {
                c.close();
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
