package io.wavelb.core.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.config.ConfigLoader;
import io.wavelb.core.Wavelb;
import io.wavelb.core.target.Target;
import io.wavelb.core.testing.EchoServer;
import io.wavelb.core.testing.Ports;
import io.wavelb.core.testing.UdpClient;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The admin endpoint over real HTTP, in front of a real balancer started from a real file. */
@Timeout(60)
class AdminSystemTest {

    private static final String TOKEN = "s3cret-token";

    @TempDir
    Path dir;

    private EchoServer a;
    private EchoServer b;
    private Wavelb wavelb;
    private Path file;
    private String base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private String yaml(boolean withToken, String targets) throws Exception {
        return """
                admin:
                  listen: 127.0.0.1:%d
                %s
                listeners:
                  - name: edge
                    protocol: tcp_udp
                    listen: 127.0.0.1:%d
                    target_group: g
                target_groups:
                  - name: g
                    deregistration_delay: 30s
                    targets:
                %s
                """.formatted(adminPort, withToken ? "  token_file: token" : "", port, targets);
    }

    private int adminPort;
    private int port;

    private void start(boolean withToken) throws Exception {
        a = EchoServer.start("a");
        b = EchoServer.start("b");
        adminPort = Ports.freeTcpAndUdp();
        port = Ports.freeTcpAndUdp();
        Files.writeString(dir.resolve("token"), TOKEN + "\n");
        file = dir.resolve("wavelb.yaml");
        Files.writeString(file, yaml(withToken, "      - address: " + a.address()));
        wavelb = Wavelb.start(ConfigLoader.load(file), Optional.of(file));
        base = "http://127.0.0.1:" + wavelb.admin().localAddress().getPort();
    }

    @BeforeEach
    void clear() {
        wavelb = null;
    }

    @AfterEach
    void stop() {
        if (wavelb != null) {
            wavelb.close();
        }
        if (a != null) {
            a.close();
            b.close();
        }
    }

    private HttpResponse<String> send(String method, String path, String token, String body, String accept) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            r.header("Authorization", "Bearer " + token);
        }
        if (accept != null) {
            r.header("Accept", accept);
        }
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> send(String method, String path, String token, String body) throws Exception {
        return send(method, path, token, body, null);
    }

    private String targetsBody(String... addresses) {
        StringBuilder sb = new StringBuilder("{\"targets\":[");
        for (int i = 0; i < addresses.length; i++) {
            sb.append(i == 0 ? "" : ",").append("{\"address\":\"").append(addresses[i]).append("\"}");
        }
        return sb.append("]}").toString();
    }

    @Test
    void mutatingCallsNeedTheRightBearerToken() throws Exception {
        start(true);
        String put = "/v1/target-groups/g/targets";
        HttpResponse<String> none = send("PUT", put, null, targetsBody(b.address()));
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
        assertThat(send("PUT", put, "wrong", targetsBody(b.address())).statusCode()).isEqualTo(401);
        assertThat(wavelb.balancer().targetGroups().get("g").targets()).hasSize(1);

        HttpResponse<String> ok = send("PUT", put, TOKEN, targetsBody(b.address()));
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.body()).contains("\"targets\":1");
        assertThat(wavelb.balancer().targetGroups().get("g").targets()).extracting(Target::id)
                .containsExactly(a.address(), b.address());
        assertThat(send("GET", "/v1/targets", null, null).body()).contains("\"source\":\"dynamic\"").contains(b.address());
    }

    @Test
    void withoutATokenFileMutatingCallsAreRefusedButReadsWork() throws Exception {
        start(false);
        HttpResponse<String> r = send("POST", "/v1/reload", "anything", null);
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(r.body()).contains("set admin.token_file");
        assertThat(send("GET", "/healthz", null, null).body()).isEqualTo("ok\n");
        assertThat(send("GET", "/readyz", null, null).statusCode()).isEqualTo(200);
    }

    @Test
    void badRequestsGetAReasonAndChangeNothing() throws Exception {
        start(true);
        String put = "/v1/target-groups/g/targets";
        HttpResponse<String> badJson = send("PUT", put, TOKEN, "{\"targets\": [ {\"address\": \"1.2.3.4:80\"} ");
        assertThat(badJson.statusCode()).isEqualTo(400);
        assertThat(badJson.body()).contains("body is not JSON").contains("at offset");
        HttpResponse<String> badAddress = send("PUT", put, TOKEN, "{\"targets\":[{\"address\":\"" + b.address()
                + "\"},{\"address\":\"10.0.0.1\"}]}");
        assertThat(badAddress.statusCode()).isEqualTo(400);
        assertThat(badAddress.body()).contains("targets[1].address");
        HttpResponse<String> badWeight = send("PUT", put, TOKEN, "{\"targets\":[{\"address\":\"10.0.0.1:80\",\"weight\":0}]}");
        assertThat(badWeight.statusCode()).isEqualTo(400);
        assertThat(badWeight.body()).contains("targets[0].weight");
        HttpResponse<String> unknownGroup = send("PUT", "/v1/target-groups/nope/targets", TOKEN, targetsBody(b.address()));
        assertThat(unknownGroup.statusCode()).isEqualTo(404);
        assertThat(unknownGroup.body()).contains("no target group 'nope'");
        assertThat(wavelb.balancer().targetGroups().get("g").targets()).extracting(Target::id).containsExactly(a.address());

        assertThat(send("GET", "/nope", null, null).statusCode()).isEqualTo(404);
        HttpResponse<String> wrongMethod = send("GET", "/v1/reload", null, null);
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(wrongMethod.headers().firstValue("Allow")).hasValue("POST");
        HttpResponse<String> tooLarge = send("PUT", put, TOKEN, "x".repeat(AdminServer.MAX_BODY + 10));
        assertThat(tooLarge.statusCode()).isEqualTo(413);
    }

    @Test
    void drainTakesAnUrlEncodedAddressAndReadinessFollowsTheGroups() throws Exception {
        start(true);
        String encoded = URLEncoder.encode(a.address(), StandardCharsets.UTF_8);
        assertThat(send("POST", "/v1/target-groups/g/targets/" + encoded + "/drain", TOKEN, null).statusCode()).isEqualTo(202);
        assertThat(wavelb.balancer().targetGroups().get("g").member(a.address()).state()).isEqualTo("draining");
        HttpResponse<String> notReady = send("GET", "/readyz", null, null);
        assertThat(notReady.statusCode()).isEqualTo(503);
        assertThat(notReady.body()).contains("\"ready\":false").contains("target group 'g'");
        assertThat(send("POST", "/v1/target-groups/g/targets/" + URLEncoder.encode("[::1]:9", StandardCharsets.UTF_8)
                + "/drain", TOKEN, null).statusCode()).isEqualTo(404);
        assertThat(send("POST", "/v1/drain", TOKEN, null).statusCode()).isEqualTo(202);
        assertThat(send("GET", "/readyz", null, null).body()).contains("draining: the balancer is leaving service");
    }

    @Test
    void reloadAnswersWithTheProblemsOrTheSummary() throws Exception {
        start(true);
        Files.writeString(file, yaml(true, "      - address: " + a.address()).replace("deregistration_delay: 30s",
                "deregistration_delay: 30"));
        HttpResponse<String> rejected = send("POST", "/v1/reload", TOKEN, null);
        assertThat(rejected.statusCode()).isEqualTo(400);
        assertThat(rejected.body()).contains("\"reloaded\":false").contains(file + ":").contains("deregistration_delay");
        Files.writeString(file, yaml(true, "      - address: " + b.address()));
        HttpResponse<String> ok = send("POST", "/v1/reload", TOKEN, null);
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.body()).contains("\"reloaded\":true");
        String metrics = send("GET", "/metrics", null, null).body();
        assertThat(metrics).contains("wavelb_config_reloads_total{result=\"failure\"} 1.0")
                .contains("wavelb_config_reloads_total{result=\"success\"} 1.0");
    }

    @Test
    void aScrapeAfterKnownTrafficShowsTheExactCounts() throws Exception {
        start(true);
        java.net.InetSocketAddress vip = wavelb.balancer().address("edge");
        try (UdpClient u1 = new UdpClient(vip); UdpClient u2 = new UdpClient(vip)) {
            for (int i = 0; i < 3; i++) {
                assertThat(u1.target("12345")).isEqualTo("a");
            }
            assertThat(u2.target("abc")).isEqualTo("a");
        }
        try (Socket s = new Socket()) {
            s.connect(vip, 5000);
            s.setSoTimeout(5000);
            s.getOutputStream().write("hello".getBytes(StandardCharsets.UTF_8));
            assertThat(s.getInputStream().readNBytes(5)).isEqualTo("hello".getBytes(StandardCharsets.UTF_8));
        }
        // The client closed its TCP connection; let the balancer see the close before scraping.
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                .until(() -> wavelb.balancer().stats("edge").tcpConnections().get() == 0);
        HttpResponse<String> r = send("GET", "/metrics", null, null);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
        String m = r.body();
        assertThat(m).contains("wavelb_udp_sessions_opened_total{listener=\"edge\"} 2.0")
                .contains("wavelb_udp_sessions{listener=\"edge\"} 2.0")
                .contains("wavelb_datagrams_total{direction=\"rx\",listener=\"edge\"} 4.0")
                .contains("wavelb_datagrams_total{direction=\"tx\",listener=\"edge\"} 4.0")
                // UDP: 3 x 5 + 3 bytes in, each reply is "a|" + payload; TCP: 5 bytes each way
                .contains("wavelb_bytes_total{direction=\"rx\",listener=\"edge\"} 23.0")
                .contains("wavelb_bytes_total{direction=\"tx\",listener=\"edge\"} 31.0")
                .contains("wavelb_tcp_connections_accepted_total{listener=\"edge\"} 1.0")
                .contains("wavelb_dropped_total{listener=\"edge\",reason=\"session_cap\"} 0.0")
                .contains("wavelb_udp_sessions_closed_total{listener=\"edge\",reason=\"idle\"} 0.0")
                .contains("wavelb_target_flows{target=\"" + a.address() + "\",target_group=\"g\"} 2.0")
                .contains("wavelb_fail_open{target_group=\"g\"} 0.0")
                .contains("jvm_memory_used_bytes")
                .contains("netty_allocator_memory_used");
        HttpResponse<String> om = send("GET", "/metrics", null, null, "application/openmetrics-text; version=1.0.0");
        assertThat(om.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/openmetrics-text"));
        assertThat(om.body()).endsWith("# EOF\n");
    }

    @Test
    void anUnreadableTokenFileStopsTheStartAndNamesTheFile() throws Exception {
        a = EchoServer.start("a");
        b = EchoServer.start("b");
        port = Ports.freeTcpAndUdp();
        adminPort = Ports.freeTcpAndUdp();
        file = dir.resolve("wavelb.yaml");
        Files.writeString(file, yaml(true, "      - address: " + a.address()));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Wavelb.start(ConfigLoader.load(file), Optional.of(file)))
                .hasMessageContaining("admin.token_file " + dir.resolve("token")).hasMessageContaining("cannot read");
        // nothing stayed bound: the same config starts once the token exists
        Files.writeString(dir.resolve("token"), TOKEN);
        wavelb = Wavelb.start(ConfigLoader.load(file), Optional.of(file));
    }
}
