package io.wavelb.core.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wavelb.core.testing.EchoServer;
import io.wavelb.core.testing.Ports;
import io.wavelb.core.testing.UdpClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
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
    private static final Duration GRACE = Duration.ofSeconds(2);

    @TempDir
    Path dir;

    @Test
    void slowReadersCannotTakeTheMemoryOfEveryOtherFlow() throws Exception {
        int streamPort = Ports.freeTcpAndUdp();
        int controlPort = Ports.freeTcpAndUdp();
        int admin = Ports.freeTcpAndUdp();
        List<SocketChannel> slow = new ArrayList<>();
        try (StreamingTarget stream = StreamingTarget.streaming(); EchoServer echo = EchoServer.start("echo");
             ChildWavelb wavelb = ChildWavelb.start(dir, """
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
                     """.formatted(admin, GRACE.toSeconds(), streamPort, controlPort, stream.address(), echo.address()),
                     admin, List.of("-XX:MaxDirectMemorySize=64m", "-Xmx256m", "-XX:+ExitOnOutOfMemoryError"))) {
            InetSocketAddress streamVip = new InetSocketAddress("127.0.0.1", streamPort);
            InetSocketAddress controlVip = new InetSocketAddress("127.0.0.1", controlPort);
            String budgetLine = "wavelb_memory_budget_bytes";
            OptionalDouble budget = ChildWavelb.value(wavelb.metrics(), budgetLine);

            // Control flows, opened before the storm, probed all through it.
            AtomicBoolean probing = new AtomicBoolean(true);
            AtomicInteger udpSent = new AtomicInteger();
            AtomicInteger udpAnswered = new AtomicInteger();
            AtomicInteger tcpSent = new AtomicInteger();
            AtomicInteger tcpAnswered = new AtomicInteger();
            AtomicLong maxUsed = new AtomicLong(-1);
            Thread prober;
            try (UdpClient udp = new UdpClient(controlVip); Socket tcp = new Socket()) {
                tcp.connect(controlVip, 5000);
                tcp.setSoTimeout(2000);
                assertThat(udp.target("hello", 2000)).isEqualTo("echo");
                OutputStream tcpOut = tcp.getOutputStream();
                InputStream tcpIn = tcp.getInputStream();
                prober = Thread.ofPlatform().name("prober").start(() -> {
                    byte[] line = "ping-0123456789\n".getBytes(StandardCharsets.US_ASCII);
                    byte[] back = new byte[line.length];
                    while (probing.get()) {
                        udpSent.incrementAndGet();
                        try {
                            if ("echo".equals(udp.target("p" + udpSent.get(), 1000))) {
                                udpAnswered.incrementAndGet();
                            }
                        } catch (IOException e) {
                            // unanswered
                        }
                        tcpSent.incrementAndGet();
                        try {
                            tcpOut.write(line);
                            tcpOut.flush();
                            int n = 0;
                            while (n < back.length) {
                                int r = tcpIn.read(back, n, back.length - n);
                                if (r < 0) {
                                    throw new IOException("control connection closed");
                                }
                                n += r;
                            }
                            tcpAnswered.incrementAndGet();
                        } catch (IOException e) {
                            // unanswered
                        }
                        sleep(20);
                    }
                });
                Thread sampler = Thread.ofPlatform().name("sampler").start(() -> {
                    while (probing.get()) {
                        ChildWavelb.value(wavelb.metrics(), "wavelb_memory_used_bytes")
                                .ifPresent(v -> maxUsed.accumulateAndGet((long) v, Math::max));
                        sleep(200);
                    }
                });

                // The storm: slow readers opened at a bounded rate; they never read.
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
                probing.set(false);
                prober.join(10_000);
                sampler.join(10_000);
            }
            String during = wavelb.metrics();
            System.out.printf("control UDP %d/%d, control TCP %d/%d answered; max direct memory used %d of budget %s;"
                            + " target accepted %d%n", udpAnswered.get(), udpSent.get(), tcpAnswered.get(), tcpSent.get(),
                    maxUsed.get(), budget, stream.accepted());

            // Probes every 20 ms, each waiting up to 1 s (UDP) and 2 s (TCP): a stalled balancer
            // shows as few probes sent as well as unanswered ones.
            assertThat(udpSent.get()).as("control probes sent").isGreaterThan(100);
            assertThat(udpAnswered.get()).as("control UDP datagrams answered").isGreaterThanOrEqualTo((int) (udpSent.get() * 0.99));
            assertThat(tcpAnswered.get()).as("control TCP round trips answered").isGreaterThanOrEqualTo((int) (tcpSent.get() * 0.99));

            // The slow clients leave.
            for (SocketChannel c : slow) {
                c.close();
            }
            slow.clear();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
                String m = wavelb.metrics();
                return ChildWavelb.value(m, "wavelb_overload_active{action=\"stop_accepting\"}").orElse(1) == 0
                        && ChildWavelb.value(m, "wavelb_tcp_connections{listener=\"stream\"}").orElse(1) == 0;
            });
            // New flows from another client are admitted.
            try (UdpClient fresh = new UdpClient(controlVip)) {
                assertThat(fresh.target("after", 2000)).isEqualTo("echo");
            }
            try (Socket fresh = new Socket()) {
                fresh.connect(streamVip, 5000);
                fresh.setSoTimeout(5000);
                assertThat(fresh.getInputStream().readNBytes(64 * 1024)).hasSize(64 * 1024);
            }
            String log = wavelb.log();
            long started = System.nanoTime();
            boolean exited = wavelb.terminate(GRACE.plusSeconds(5));
            System.out.println("wavelb log:\n" + log.lines().filter(l -> !l.startsWith("INFO: listener"))
                    .limit(60).reduce("", (a, b) -> a + "  " + b + "\n"));

            assertThat(exited).as("SIGTERM ends wavelb within the grace period + 5 s (took %d ms)",
                    (System.nanoTime() - started) / 1_000_000).isTrue();
            assertThat(budget).as(budgetLine).isPresent();
            assertThat(budget.getAsDouble()).isEqualTo(32.0 * 1024 * 1024);
            assertThat(maxUsed.get()).as("direct memory used, read from /metrics").isBetween(1L, 32L << 20);
            assertThat(ChildWavelb.value(during, "wavelb_overload_actions_total{action=\"stop_accepting\"}").orElse(0))
                    .as("the slow readers pushed wavelb into overload").isPositive();
            assertThat(log).contains("overload: stop_accepting on: direct memory");
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
