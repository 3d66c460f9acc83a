package io.wavelb.agent.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An IMDSv2 server of our own (moto has none): {@code PUT /latest/api/token} with a TTL header
 * issues a session token; {@code GET /latest/meta-data/...} answers only with that token (401
 * otherwise, as IMDSv2 does when IMDSv1 is disabled). Records each request as "METHOD path".
 */
public final class ImdsTestServer implements AutoCloseable {

    private final HttpServer server;
    private final Map<String, String> metadata = new ConcurrentHashMap<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final String token = UUID.randomUUID().toString();

    public ImdsTestServer(Map<String, String> metadata) throws IOException {
        this.metadata.putAll(metadata);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/", this::handle);
        server.start();
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        requests.add(ex.getRequestMethod() + " " + path);
        try (ex) {
            if (path.equals("/latest/api/token")) {
                if (!ex.getRequestMethod().equals("PUT")
                        || ex.getRequestHeaders().getFirst("X-aws-ec2-metadata-token-ttl-seconds") == null) {
                    send(ex, 400, "");
                } else {
                    // IMDS echoes the granted TTL; the SDK refuses a token response without it.
                    ex.getResponseHeaders().set("X-aws-ec2-metadata-token-ttl-seconds",
                            ex.getRequestHeaders().getFirst("X-aws-ec2-metadata-token-ttl-seconds"));
                    send(ex, 200, token);
                }
                return;
            }
            if (!token.equals(ex.getRequestHeaders().getFirst("X-aws-ec2-metadata-token"))) {
                send(ex, 401, "");
                return;
            }
            String value = path.startsWith("/latest/meta-data/") ? metadata.get(path.substring("/latest/meta-data/".length())) : null;
            send(ex, value == null ? 404 : 200, value == null ? "" : value);
        }
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
        if (b.length > 0) {
            try (OutputStream o = ex.getResponseBody()) {
                o.write(b);
            }
        }
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    public List<String> requests() {
        return List.copyOf(requests);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
