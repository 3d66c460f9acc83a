package io.wavelb.core.udp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wavelb.core.testing.EchoServer;
import io.wavelb.core.testing.Ports;
import io.wavelb.core.testing.UdpClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One upstream socket per UDP session means file descriptors run out before memory. The balancer
 * runs here as its own process under a small RLIMIT_NOFILE (prlimit): new flows over the limit
 * must be counted and dropped, flows already open must keep working, and the balancer must
 * recover once sessions idle out — never crash or stall.
 */
@Timeout(90)
class DescriptorExhaustionSystemTest {

    @TempDir
    Path dir;

    @Test
    void runningOutOfDescriptorsIsACountedDropAndTheBalancerRecovers() throws Exception {
        int port = Ports.freeTcpAndUdp();
        int admin = Ports.freeTcpAndUdp();
        try (EchoServer echo = EchoServer.start("e")) {
            Path cfg = dir.resolve("fd.yaml");
            Files.writeString(cfg, """
                    admin:
                      listen: 127.0.0.1:%d
                    runtime:
                      event_loops: 1
                    listeners:
                      - name: edge
                        protocol: udp
                        listen: 127.0.0.1:%d
                        target_group: g
                        udp:
                          idle_timeout: 2s
                    target_groups:
                      - name: g
                        targets:
                          - address: %s
                    """.formatted(admin, port, echo.address()));
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process p = new ProcessBuilder("prlimit", "--nofile=220:220", java, "-cp", System.getProperty("java.class.path"),
                    "io.wavelb.core.cli.Main", "run", "--config", cfg.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("wavelb.log").toFile()).start();
            List<UdpClient> clients = new ArrayList<>();
            try {
                InetSocketAddress vip = new InetSocketAddress("127.0.0.1", port);
                await().atMost(Duration.ofSeconds(20)).until(() -> Files.readString(dir.resolve("wavelb.log")).contains("on udp"));
                UdpClient first = new UdpClient(vip);
                clients.add(first);
                assertThat(first.target("first")).isEqualTo("e");
                int answered = 1;
                int unanswered = 0;
                for (int i = 0; i < 400; i++) {
                    UdpClient c = new UdpClient(vip);
                    clients.add(c);
                    if (c.target("flow-" + i, 300) != null) {
                        answered++;
                    } else {
                        unanswered++;
                    }
                    if (i % 50 == 0) {
                        assertThat(first.target("still-" + i)).as("an open flow keeps working").isEqualTo("e");
                    }
                }
                assertThat(p.isAlive()).isTrue();
                assertThat(answered).as("flows served before descriptors ran out").isGreaterThan(50);
                assertThat(unanswered).as("flows over the descriptor limit").isPositive();
                clients.forEach(UdpClient::close);
                clients.clear();

                // Sessions idle out, descriptors come back, the balancer serves and reports again.
                HttpClient http = HttpClient.newHttpClient();
                String[] metrics = new String[1];
                await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).until(() -> {
                    try {
                        metrics[0] = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/metrics"))
                                .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString()).body();
                        return metrics[0].contains("wavelb_udp_sessions{listener=\"edge\"} 0.0");
                    } catch (Exception e) {
                        return false;
                    }
                });
                Matcher m = Pattern.compile("wavelb_dropped_total\\{listener=\"edge\",reason=\"socket_error\"} ([0-9.]+)")
                        .matcher(metrics[0]);
                assertThat(m.find()).isTrue();
                assertThat(Double.parseDouble(m.group(1))).isEqualTo((double) unanswered);
                try (UdpClient again = new UdpClient(vip)) {
                    assertThat(again.target("after recovery")).isEqualTo("e");
                }
                List<String> log = Files.readAllLines(dir.resolve("wavelb.log"));
                System.out.println("wavelb log under descriptor exhaustion:\n  " + String.join("\n  ", log));
                assertThat(log).anyMatch(l -> l.contains("cannot open an upstream socket"));
                assertThat(log).as("warnings are rate limited, not one per dropped datagram").hasSizeLessThan(40);
            } finally {
                clients.forEach(UdpClient::close);
                p.toHandle().destroy();
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
    }
}
