package io.wavelb.core.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wavelb.config.ConfigLoader;
import io.wavelb.core.Wavelb;
import io.wavelb.core.liveness.Heartbeats;
import io.wavelb.core.testing.EchoServer;
import io.wavelb.core.testing.Ports;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A data-plane event loop blocked for real (a task that waits on a latch) turns {@code /healthz}
 * to 503 naming the loop, and it turns back once the loop runs again; a reason another part
 * reports turns it too.
 */
@Timeout(60)
class LivenessSystemTest {

    @TempDir
    Path dir;

    private static HttpResponse<String> healthz(int port) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz"))
                .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aBlockedEventLoopMakesHealthzFailUntilItRunsAgain() throws Exception {
        int admin = Ports.freeTcpAndUdp();
        int port = Ports.freeTcpAndUdp();
        try (EchoServer echo = EchoServer.start("e")) {
            Path file = dir.resolve("wavelb.yaml");
            Files.writeString(file, """
                    admin:
                      listen: 127.0.0.1:%d
                    runtime:
                      event_loops: 2
                    listeners:
                      - name: edge
                        protocol: udp
                        listen: 127.0.0.1:%d
                        target_group: g
                    target_groups:
                      - name: g
                        targets:
                          - address: %s
                    """.formatted(admin, port, echo.address()));
            try (Wavelb wavelb = Wavelb.start(ConfigLoader.load(file), Optional.of(file))) {
                assertThat(healthz(admin).statusCode()).isEqualTo(200);
                CountDownLatch release = new CountDownLatch(1);
                wavelb.balancer().loops().next().execute(() -> {
                    try {
                        release.await(40, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                try {
                    await().atMost(Heartbeats.STALL_AFTER.plusSeconds(15)).pollInterval(Duration.ofMillis(250))
                            .until(() -> healthz(admin).statusCode() == 503);
                    assertThat(healthz(admin).body()).startsWith("stuck: event loop ").contains("has not run for");
                } finally {
                    release.countDown();
                }
                await().atMost(Duration.ofSeconds(15)).until(() -> healthz(admin).statusCode() == 200);

                wavelb.balancer().addLivenessCheck(() -> List.of("overload: stuck at the memory budget"));
                HttpResponse<String> r = healthz(admin);
                assertThat(r.statusCode()).isEqualTo(503);
                assertThat(r.body()).isEqualTo("stuck: overload: stuck at the memory budget\n");
            }
        }
    }
}
