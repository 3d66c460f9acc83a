package io.wavelb.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.core.testing.EchoServer;
import io.wavelb.core.testing.Ports;
import io.wavelb.core.testing.WavelbProcess;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A second SIGTERM skips the rest of the grace period: with a 300 s grace period and an open TCP
 * connection, the process ends long before the grace period, with exit 0, and says why.
 */
@Timeout(120)
class SecondSignalSystemTest {

    @TempDir
    Path dir;

    @Test
    void aSecondSigtermClosesOpenConnectionsAndExitsAtOnce() throws Exception {
        int port = Ports.freeTcpAndUdp();
        int admin = Ports.freeTcpAndUdp();
        String yaml = """
                admin:
                  listen: 127.0.0.1:%d
                runtime:
                  shutdown_grace_period: 300s
                listeners:
                  - name: edge
                    protocol: tcp
                    listen: 127.0.0.1:%d
                    target_group: g
                target_groups:
                  - name: g
                    targets:
                      - address: %s
                """;
        try (EchoServer echo = EchoServer.start("e");
             WavelbProcess wavelb = WavelbProcess.start(dir, WavelbProcess.Spec.of(yaml.formatted(admin, port, echo.address()), admin));
             Socket open = new Socket()) {
            open.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            open.setSoTimeout(5000);
            open.getOutputStream().write('x');
            assertThat(open.getInputStream().read()).isEqualTo('x');

            wavelb.signal("TERM");
            // Signals do not queue: wait until the first one is taken before sending the second.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!wavelb.log().contains("stopping: no new flows") && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(wavelb.log()).contains("stopping: no new flows");
            Thread.sleep(300);
            assertThat(wavelb.isAlive()).as("the open connection holds the graceful stop").isTrue();

            wavelb.signal("TERM");
            // 60 s: far below the 300 s grace period, far above what the stop takes on a busy machine.
            assertThat(wavelb.process().waitFor(60, TimeUnit.SECONDS)).as(wavelb.logTail()).isTrue();
            assertThat(wavelb.process().exitValue()).as(wavelb.logTail()).isZero();
            assertThat(wavelb.log()).contains("second stop signal (SIGTERM): skipping the rest of the grace period");
            assertThat(open.getInputStream().read()).as("the connection was closed").isEqualTo(-1);
        }
    }
}
