package io.wavelb.agent.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An IMDSv2 server for tests (moto has none): {@code PUT /latest/api/token} hands out a token,
 * and metadata GETs answer only when they carry it, as the real service does.
 */
public final class ImdsServer implements AutoCloseable {

    public static final String TOKEN = "imds-test-token";
    private final HttpServer server;
    public final AtomicInteger tokenRequests = new AtomicInteger();

    public ImdsServer(Map<String, String> metadata) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/latest/api/token", ex -> {
            if (!ex.getRequestMethod().equals("PUT") || ex.getRequestHeaders().getFirst("X-aws-ec2-metadata-token-ttl-seconds") == null) {
                send(ex.getResponseBody(), ex, 400, "");
                return;
            }
            tokenRequests.incrementAndGet();
            send(ex.getResponseBody(), ex, 200, TOKEN);
        });
        server.createContext("/latest/meta-data/", ex -> {
            if (!TOKEN.equals(ex.getRequestHeaders().getFirst("X-aws-ec2-metadata-token"))) {
                send(ex.getResponseBody(), ex, 401, "");
                return;
            }
            String key = ex.getRequestURI().getPath().substring("/latest/meta-data/".length());
            String value = metadata.get(key);
            send(ex.getResponseBody(), ex, value == null ? 404 : 200, value == null ? "" : value);
        });
        server.start();
    }

    private static void send(OutputStream body, com.sun.net.httpserver.HttpExchange ex, int status, String text)
            throws IOException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
        try (body) {
            if (b.length > 0) {
                body.write(b);
            }
        }
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
