package io.wavelb.core.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.config.AdminConfig;
import io.wavelb.config.HostPort;
import io.wavelb.core.metrics.WavelbMetrics;
import io.wavelb.core.transport.Transport;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin endpoint's own bounds, over raw sockets so the test controls every byte: the token
 * before the body, limits on lines, headers and bodies, the connection cap, the request deadline,
 * 400 (not 500) for a malformed path, and {@code /healthz} answering while a call is stuck.
 */
@Timeout(60)
class AdminBoundsTest {

    @TempDir
    Path dir;

    /** Readiness and liveness as the test sets them; replaceTargets waits for {@link #release}. */
    static final class Fake extends AdminServerTest.Recording {
        final AtomicReference<List<String>> stuck = new AtomicReference<>(List.of());
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public Liveness liveness() {
            return Liveness.of(stuck.get());
        }

        @Override
        public void replaceTargets(String group, List<TargetSpec> targets) {
            entered.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            super.replaceTargets(group, targets);
        }
    }

    private final Fake ops = new Fake();
    private WavelbMetrics metrics;
    private AdminServer server;
    private InetSocketAddress address;

    @BeforeEach
    void start() throws Exception {
        Path token = dir.resolve("token");
        Files.writeString(token, "t0ken\n");
        metrics = new WavelbMetrics();
        server = AdminServer.start(new AdminConfig(new HostPort("127.0.0.1", 0), Optional.of(token)),
                Transport.select(io.wavelb.config.Transport.AUTO), ops, metrics);
        address = new InetSocketAddress("127.0.0.1", server.localAddress().getPort());
    }

    @AfterEach
    void stop() {
        ops.release.countDown();
        server.close();
        metrics.close();
    }

    private Socket connect() throws IOException {
        Socket s = new Socket();
        s.connect(address, 5000);
        s.setSoTimeout(20_000);
        return s;
    }

    private static void write(Socket s, String text) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** Everything the server sends until it closes the connection. */
    private static String readToClose(Socket s) throws IOException {
        return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }

    /** One answer (status line to the end of its Content-Length body) on a kept-alive connection. */
    private static String readOne(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                return head.toString();
            }
            head.append((char) b);
        }
        int length = 0;
        for (String line : head.toString().split("\r\n")) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).strip());
            }
        }
        return head + new String(in.readNBytes(length), StandardCharsets.ISO_8859_1);
    }

    private String get(String path) throws IOException {
        try (Socket s = connect()) {
            write(s, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            return readToClose(s);
        }
    }

    private double refused(String reason) {
        return metrics.registry().get("wavelb_admin_refused").tag("reason", reason).counter().count();
    }

    @Test
    void aMutatingCallWithoutTheTokenIsRefusedAfterItsHeadersAndItsBodyIsNeverRead() throws Exception {
        try (Socket s = connect()) {
            // Declares 100 MB and sends none of it: the answer must come from the headers alone.
            write(s, "PUT /v1/target-groups/g/targets HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n{\"tar");
            String answer = readToClose(s);
            assertThat(answer).startsWith("HTTP/1.1 401").contains("missing 'Authorization: Bearer <token>'");
        }
        try (Socket s = connect()) {
            write(s, "POST /v1/reload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer guess\r\nContent-Length: 5000000\r\n\r\n");
            assertThat(readToClose(s)).startsWith("HTTP/1.1 401").contains("wrong token");
        }
        assertThat(ops.calls).isEmpty();
        assertThat(refused("unauthorized")).isEqualTo(2);
    }

    @Test
    void bodiesPastTheirLimitGet413AndTheConnectionCloses() throws Exception {
        try (Socket s = connect()) {
            write(s, "PUT /v1/target-groups/g/targets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t0ken\r\nContent-Length: "
                    + (AdminLimits.MAX_AUTHENTICATED_BODY + 1) + "\r\n\r\n");
            assertThat(readToClose(s)).startsWith("HTTP/1.1 413");
        }
        try (Socket s = connect()) {
            // Chunked: no length up front, so the limit is met while reading.
            write(s, "GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
            String chunk = Integer.toHexString(AdminLimits.MAX_UNAUTHENTICATED_BODY) + "\r\n"
                    + "x".repeat(AdminLimits.MAX_UNAUTHENTICATED_BODY) + "\r\n";
            write(s, chunk + chunk);
            assertThat(readToClose(s)).startsWith("HTTP/1.1 413");
        }
        assertThat(refused("too_large")).isEqualTo(2);
    }

    @Test
    void malformedRequestsGet400WithAJsonReasonNever500() throws Exception {
        String badEscape = get("/v1/target-groups/g%zz/targets/1.2.3.4%3A80/drain");
        assertThat(badEscape).startsWith("HTTP/1.1 400").contains("application/json").contains("{\"error\":\"malformed path");
        assertThat(get("/healthz%")).startsWith("HTTP/1.1 400");
        assertThat(get("/" + "a".repeat(AdminLimits.MAX_REQUEST_LINE))).startsWith("HTTP/1.1 414");
        try (Socket s = connect()) {
            write(s, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(AdminLimits.MAX_HEADERS) + "\r\n\r\n");
            assertThat(readToClose(s)).startsWith("HTTP/1.1 431");
        }
        try (Socket s = connect()) {
            write(s, "NOT HTTP AT ALL\r\n\r\n");
            assertThat(readToClose(s)).startsWith("HTTP/1.1 400");
        }
        assertThat(ops.calls).isEmpty();
    }

    @Test
    void healthzTellsWhyTheProcessIsStuck() throws Exception {
        assertThat(get("/healthz")).startsWith("HTTP/1.1 200").endsWith("\r\n\r\nok\n");
        ops.stuck.set(List.of("event loop 1 has not run for 6000ms", "overload: memory"));
        assertThat(get("/healthz")).startsWith("HTTP/1.1 503")
                .endsWith("stuck: event loop 1 has not run for 6000ms; overload: memory\n");
    }

    @Test
    void healthzAndMetricsAnswerWhileAMutatingCallIsStuckOnAWorker() throws Exception {
        try (Socket put = connect()) {
            String body = "{\"targets\":[{\"address\":\"10.0.0.1:80\"}]}";
            write(put, "PUT /v1/target-groups/g/targets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t0ken\r\nContent-Length: "
                    + body.length() + "\r\n\r\n" + body);
            assertThat(ops.entered.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(get("/healthz")).startsWith("HTTP/1.1 200");
            assertThat(get("/metrics")).startsWith("HTTP/1.1 200").contains("wavelb_admin_refused_total");
            ops.release.countDown();
            assertThat(readOne(put)).startsWith("HTTP/1.1 200").contains("\"targets\":1");
        }
    }

    @Test
    void atTheConnectionCapTheOldestIdleConnectionMakesRoom() throws Exception {
        List<Socket> idle = new ArrayList<>();
        try {
            for (int i = 0; i < AdminLimits.MAX_CONNECTIONS + 10; i++) {
                Socket s = connect();
                write(s, "GET /heal");
                idle.add(s);
            }
            assertThat(get("/healthz")).startsWith("HTTP/1.1 200");
            assertThat(refused("connection_limit")).isGreaterThanOrEqualTo(11);
            // The first ones were closed to make room: their read ends.
            idle.getFirst().setSoTimeout(5000);
            assertThat(idle.getFirst().getInputStream().read()).isEqualTo(-1);
        } finally {
            for (Socket s : idle) {
                s.close();
            }
        }
    }

    @Test
    void aRequestThatDoesNotArriveWholeInTimeIsClosed() throws Exception {
        try (Socket s = connect()) {
            write(s, "GET /healthz HTTP/1.1\r\nHost: x\r\n");
            s.setSoTimeout((int) AdminLimits.REQUEST_TIMEOUT.toMillis() * 3);
            long started = System.nanoTime();
            int read;
            try {
                read = s.getInputStream().read();
            } catch (SocketTimeoutException e) {
                read = -2;
            }
            assertThat(read).as("closed without an answer").isEqualTo(-1);
            assertThat(System.nanoTime() - started).isGreaterThan(AdminLimits.REQUEST_TIMEOUT.toNanos() / 2);
        }
        assertThat(refused("timeout")).isEqualTo(1);
    }

    @Test
    void keepAliveServesSeveralRequestsOnOneConnection() throws Exception {
        try (Socket s = connect()) {
            for (int i = 0; i < 3; i++) {
                write(s, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(readOne(s)).startsWith("HTTP/1.1 200").endsWith("ok\n");
            }
            write(s, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(readOne(s)).startsWith("HTTP/1.1 404");
            write(s, "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(readOne(s)).startsWith("HTTP/1.1 200").contains("\"ready\":true");
        }
    }
}
