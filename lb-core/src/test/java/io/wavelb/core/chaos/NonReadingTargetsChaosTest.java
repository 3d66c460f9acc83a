package io.wavelb.core.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wavelb.core.testing.Ports;
import io.wavelb.core.testing.WavelbProcess;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Clients send a lot and leave while their target never reads. Closing after a flush that can
 * never complete used to keep the target-side socket (and its buffers) forever, unseen by any
 * metric. Now every target-side socket is closed within {@code tcp.close_timeout} of the
 * connection ending, and the socket gauge shows it.
 */
@Tag("chaos")
@Timeout(120)
class NonReadingTargetsChaosTest {

    private static final int CLIENTS = 300;

    @TempDir
    Path dir;

    /**
     * Both relays: the native one (the default on epoll) holds at most one read's remainder per
     * direction, Netty channels ({@code -Dwavelb.tcp.nativeRelay=false}) up to 256 KiB; either way
     * closing waits for a write the target never takes, and the close timeout ends it.
     */
    @ParameterizedTest(name = "{0} relay")
    @ValueSource(strings = {"native", "channel"})
    void targetSocketsOfConnectionsWhoseTargetStoppedReadingAreClosedWithinTheCloseTimeout(String relay) throws Exception {
        int port = Ports.freeTcpAndUdp();
        int admin = Ports.freeTcpAndUdp();
        try (StreamingTarget sink = StreamingTarget.sink();
             WavelbProcess wavelb = WavelbProcess.start(dir, WavelbProcess.Spec.of("""
                     admin:
                       listen: 127.0.0.1:%d
                     runtime:
                       event_loops: 2
                       memory_budget: 256MiB
                     listeners:
                       - name: upload
                         protocol: tcp
                         listen: 127.0.0.1:%d
                         target_group: sink
                         tcp:
                           idle_timeout: 2s
                           close_timeout: 1s
                     target_groups:
                       - name: sink
                         targets:
                           - address: %s
                     """.formatted(admin, port, sink.address()), admin).jvm("-XX:MaxDirectMemorySize=512m", "-Xmx256m",
                     "-Dwavelb.tcp.nativeRelay=" + relay.equals("native")))) {
            InetSocketAddress vip = new InetSocketAddress("127.0.0.1", port);
            ByteBuffer chunk = ByteBuffer.allocateDirect(64 * 1024);
            List<SocketChannel> clients = new ArrayList<>();
            try {
                for (int i = 0; i < CLIENTS; i++) {
                    SocketChannel c = SocketChannel.open(vip);
                    c.configureBlocking(false);
                    clients.add(c);
                }
                // Send on every client until none has taken a byte for 20 rounds: the target's,
                // wavelb's and our buffers are full, so wavelb holds bytes for a target that never reads.
                int[] stalled = new int[CLIENTS];
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                boolean progress = true;
                while (progress && System.nanoTime() < deadline) {
                    progress = false;
                    for (int i = 0; i < CLIENTS; i++) {
                        if (stalled[i] >= 20) {
                            continue;
                        }
                        progress = true;
                        chunk.clear();
                        try {
                            stalled[i] = clients.get(i).write(chunk) == 0 ? stalled[i] + 1 : 0;
                        } catch (IOException reset) {
                            // wavelb may shed this connection while memory is near the budget: it is done.
                            stalled[i] = 20;
                        }
                    }
                    Thread.sleep(5);
                }
                await().atMost(Duration.ofSeconds(20)).until(() -> sink.accepted() == CLIENTS);
                assertThat(wavelb.metric("wavelb_tcp_sockets", "listener=\"upload\"", "side=\"target\"").orElse(-1))
                        .as("target sockets are counted").isPositive();
            } finally {
                // Half leave with a reset, half with an orderly close (their unsent bytes still queued).
                for (int i = 0; i < clients.size(); i++) {
                    SocketChannel c = clients.get(i);
                    if (i % 2 == 0) {
                        c.setOption(StandardSocketOptions.SO_LINGER, 0);
                    }
                    c.close();
                }
            }
            // Idle timeout (2 s) + close timeout (1 s) + sweep slack; the bound is generous for a busy machine.
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() ->
                    wavelb.metric("wavelb_tcp_sockets", "listener=\"upload\"").orElse(-1) == 0);
            String figures = "close timeouts " + wavelb.metric("wavelb_tcp_close_timeouts_total")
                    + ", idle closes " + wavelb.metric("wavelb_tcp_closed_idle_total")
                    + ", overload actions " + wavelb.metric("wavelb_overload_actions_total")
                    + "; log:\n" + wavelb.logTail();
            System.out.println(figures);
            assertThat(wavelb.metric("wavelb_tcp_close_timeouts_total", "listener=\"upload\"").orElse(0)).as(figures)
                    .as("connections whose target never took its bytes were closed by the close timeout").isPositive();
            // And from the target's side: every socket it accepted has been closed by wavelb.
            int closedByWavelb = 0;
            for (Socket s : sink.open()) {
                if (drainsToEnd(s)) {
                    closedByWavelb++;
                }
            }
            assertThat(closedByWavelb).isEqualTo(CLIENTS);
        }
    }

    /** Reads what the socket holds: true when the peer closed it (end of stream or reset). */
    private static boolean drainsToEnd(Socket s) throws IOException {
        s.setSoTimeout(5000);
        byte[] buf = new byte[256 * 1024];
        try {
            var in = s.getInputStream();
            while (in.read(buf) >= 0) {
                // discard
            }
            return true;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }
}
