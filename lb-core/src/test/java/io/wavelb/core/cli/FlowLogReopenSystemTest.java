package io.wavelb.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.core.testing.EchoServer;
import io.wavelb.core.testing.Ports;
import io.wavelb.core.testing.UdpClient;
import io.wavelb.core.testing.WavelbProcess;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * logrotate's convention on a real process: the flow log file is renamed, SIGUSR1 makes wavelb
 * open it again by name, and the next records land in the new file (the JVM lets the application
 * have SIGUSR1: the process neither dies of it nor ignores it). The metrics count the records.
 */
@Timeout(120)
class FlowLogReopenSystemTest {

    @TempDir
    Path dir;

    @Test
    void sigusr1ReopensTheFileAfterItWasRenamed() throws Exception {
        int port = Ports.freeTcpAndUdp();
        int admin = Ports.freeTcpAndUdp();
        Path file = dir.resolve("flows.log");
        Path rotated = dir.resolve("flows.log.1");
        String yaml = """
                admin:
                  listen: 127.0.0.1:%d
                flow_log:
                  path: %s
                listeners:
                  - name: dns
                    protocol: udp
                    listen: 127.0.0.1:%d
                    target_group: g
                    udp:
                      max_responses: 1
                target_groups:
                  - name: g
                    targets:
                      - address: %s
                """;
        try (EchoServer echo = EchoServer.start("e");
             WavelbProcess wavelb = WavelbProcess.start(dir, WavelbProcess.Spec.of(
                     yaml.formatted(admin, file, port, echo.address()), admin))) {
            InetSocketAddress vip = new InetSocketAddress("127.0.0.1", port);
            try (UdpClient c = new UdpClient(vip)) {
                assertThat(c.target("one")).isEqualTo("e");
            }
            awaitLines(file, 1);
            Files.move(file, rotated);

            wavelb.signal("USR1");
            for (int i = 0; i < 400 && !Files.exists(file); i++) {
                Thread.sleep(25);
            }
            assertThat(file).as(wavelb.logTail()).exists();
            try (UdpClient c = new UdpClient(vip)) {
                assertThat(c.target("two")).isEqualTo("e");
            }
            awaitLines(file, 1);

            assertThat(wavelb.isAlive()).isTrue();
            assertThat(Files.readAllLines(rotated)).singleElement().asString()
                    .contains("\"end_reason\":\"completed\"", "\"bytes_from_client\":3");
            assertThat(Files.readAllLines(file)).singleElement().asString()
                    .contains("\"end_reason\":\"completed\"", "\"bytes_to_client\":5");
            assertThat(wavelb.log()).contains("flow log: reopened " + file);
            assertThat(wavelb.metric("wavelb_flow_log_records_total")).hasValue(2);
            assertThat(wavelb.metric("wavelb_flow_log_dropped_total", "reason=\"queue_full\"")).hasValue(0);
            assertThat(wavelb.stop(Duration.ofSeconds(30))).isZero();
        }
    }

    private static void awaitLines(Path f, int n) throws Exception {
        List<String> lines = List.of();
        for (int i = 0; i < 400; i++) {
            lines = Files.exists(f) ? Files.readAllLines(f) : List.of();
            if (lines.size() >= n) {
                return;
            }
            Thread.sleep(25);
        }
        throw new AssertionError(f + " has " + lines.size() + " line(s), expected " + n);
    }
}
