package io.wavelb.core.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.config.ConfigLoader;
import io.wavelb.core.Wavelb;
import io.wavelb.json.Json;
import io.wavelb.core.testing.EchoServer;
import io.wavelb.core.testing.Ports;
import io.wavelb.core.testing.UdpClient;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /v1/load} over real HTTP in front of a real balancer carrying real UDP flows. */
@Timeout(60)
class LoadReportSystemTest {

    @TempDir
    Path dir;

    @SuppressWarnings("unchecked")
    private static Map<String, Object> get(HttpClient http, String base) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/load")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return (Map<String, Object>) Json.parse(r.body());
    }

    @Test
    @SuppressWarnings("unchecked")
    void reportsSessionsAgainstTheCapRatesDescriptorsAndLoopBusy() throws Exception {
        int admin = Ports.freeTcpAndUdp();
        int port = Ports.freeTcpAndUdp();
        try (EchoServer a = EchoServer.start("a")) {
            Path file = dir.resolve("wavelb.yaml");
            Files.writeString(file, """
                    admin:
                      listen: 127.0.0.1:%d
                    listeners:
                      - name: edge
                        protocol: udp
                        listen: 127.0.0.1:%d
                        target_group: g
                        udp:
                          max_sessions: 50
                    target_groups:
                      - name: g
                        targets:
                          - address: %s
                    """.formatted(admin, port, a.address()));
            Wavelb wavelb = Wavelb.start(ConfigLoader.load(file), Optional.of(file));
            List<UdpClient> clients = new ArrayList<>();
            try {
                HttpClient http = HttpClient.newHttpClient();
                String base = "http://127.0.0.1:" + wavelb.admin().localAddress().getPort();
                Map<String, Object> first = get(http, base);
                assertThat(first.get("window_seconds")).isEqualTo(0.0);
                InetSocketAddress vip = new InetSocketAddress("127.0.0.1", port);
                for (int i = 0; i < 10; i++) {
                    UdpClient c = new UdpClient(vip);
                    clients.add(c);
                    assertThat(c.target("x" + i)).isEqualTo("a");
                }
                // Past the sampler's shortest window (500 ms), so this sample measures rates instead of repeating.
                Thread.sleep(600);
                Map<String, Object> load = get(http, base);
                List<Map<String, Object>> ls = (List<Map<String, Object>>) load.get("listeners");
                assertThat(ls).hasSize(1);
                assertThat(ls.get(0)).containsEntry("name", "edge").containsEntry("protocol", "udp")
                        .containsEntry("sessions", 10L).containsEntry("max_sessions", 50L);
                assertThat(((Number) load.get("new_flows_per_second")).doubleValue()).isPositive();
                assertThat(((Number) load.get("datagrams_per_second")).doubleValue()).isPositive();
                assertThat(((Number) load.get("bytes_per_second")).doubleValue()).isPositive();
                assertThat(((Number) load.get("open_descriptors")).longValue()).isPositive();
                assertThat(((Number) load.get("max_descriptors")).longValue())
                        .isGreaterThanOrEqualTo(((Number) load.get("open_descriptors")).longValue());
                assertThat(((Number) load.get("event_loop_busy")).doubleValue()).isBetween(0.0, 1.0);
                assertThat(((Number) load.get("event_loops")).longValue()).isPositive();
                assertThat(((Number) load.get("window_seconds")).doubleValue()).isPositive();
            } finally {
                clients.forEach(UdpClient::close);
                wavelb.close();
            }
        }
    }

}
