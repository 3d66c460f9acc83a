package io.wavelb.agent.feed;

import io.wavelb.agent.discovery.TargetFilter;
import io.wavelb.agent.reconcile.LoadFigures;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.protocols.jsoncore.JsonNode;

/**
 * The balancer's admin API as the agent uses it: readiness, the dynamic target list, the
 * balancer-wide drain and the count of open flows. Blocking calls (the agent runs them on
 * virtual threads), bounded by timeouts.
 */
public final class BalancerClient {

    private static final Pattern FLOWS = Pattern.compile("\"active_(sessions|connections)\"\\s*:\\s*(\\d+)");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final URI admin;
    private final Optional<Path> tokenFile;

    public BalancerClient(URI admin, Optional<Path> tokenFile) {
        this.admin = admin;
        this.tokenFile = tokenFile;
    }

    /** A refused or failed call, with what the balancer said. */
    public static final class BalancerException extends IOException {
        private static final long serialVersionUID = 1L;

        BalancerException(String message) {
            super(message);
        }
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(admin.resolve(path)).timeout(Duration.ofSeconds(5));
    }

    private HttpRequest.Builder authorized(String path) throws IOException {
        if (tokenFile.isEmpty()) {
            throw new BalancerException("no balancer.token_file: the balancer refuses mutating calls without a token");
        }
        String token = Files.readString(tokenFile.get(), StandardCharsets.UTF_8).strip();
        return request(path).header("Authorization", "Bearer " + token);
    }

    private String send(HttpRequest r, int... ok) throws IOException, InterruptedException {
        HttpResponse<String> res;
        try {
            res = http.send(r, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            // A refused connection comes with no message at all; say what was called and what failed.
            throw new BalancerException(r.method() + " " + r.uri() + ": balancer not reachable (" + e + ")");
        }
        for (int code : ok) {
            if (res.statusCode() == code) {
                return res.body();
            }
        }
        throw new BalancerException(r.method() + " " + r.uri().getPath() + ": " + res.statusCode() + " " + res.body().strip());
    }

    /** True when {@code /readyz} answers 200; false on 503 or when the balancer does not answer. */
    public boolean ready() throws InterruptedException {
        try {
            return http.send(request("/readyz").GET().build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    /** Replaces the group's dynamic target list. */
    public void putTargets(String group, List<TargetFilter.Target> targets) throws IOException, InterruptedException {
        StringBuilder body = new StringBuilder("{\"targets\":[");
        for (int i = 0; i < targets.size(); i++) {
            TargetFilter.Target t = targets.get(i);
            body.append(i == 0 ? "" : ",").append("{\"address\":\"").append(t.address()).append("\",\"weight\":")
                    .append(t.weight());
            if (t.serverId() != null) {
                // Checked as hex by TargetFilter: nothing to escape.
                body.append(",\"server_id\":\"").append(t.serverId()).append('"');
            }
            body.append('}');
        }
        body.append("]}");
        send(authorized("/v1/target-groups/" + URLEncoder.encode(group, StandardCharsets.UTF_8) + "/targets")
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(body.toString())).build(), 200);
    }

    /** The balancer reports not ready from now on and keeps serving. */
    public void drain() throws IOException, InterruptedException {
        send(authorized("/v1/drain").POST(HttpRequest.BodyPublishers.noBody()).build(), 202);
    }

    /** UDP sessions plus TCP connections open across every group. */
    public int openFlows() throws IOException, InterruptedException {
        String body = send(request("/v1/targets").GET().build(), 200);
        int n = 0;
        Matcher m = FLOWS.matcher(body);
        while (m.find()) {
            n += Integer.parseInt(m.group(2));
        }
        return n;
    }

    /** {@code GET /v1/load}: the balancer's load figures (contract in lb-core/README.md). */
    public LoadFigures load() throws IOException, InterruptedException {
        return parseLoad(send(request("/v1/load").GET().build(), 200));
    }

    static LoadFigures parseLoad(String body) throws BalancerException {
        try {
            JsonNode root = JsonNode.parser().parse(body);
            List<LoadFigures.Listener> ls = new ArrayList<>();
            JsonNode listeners = root.field("listeners").orElse(null);
            if (listeners != null && listeners.isArray()) {
                for (JsonNode l : listeners.asArray()) {
                    ls.add(new LoadFigures.Listener(l.field("name").map(JsonNode::text).orElse("?"),
                            (int) number(l, "sessions", 0), (int) number(l, "max_sessions", -1)));
                }
            }
            return new LoadFigures(ls, number(root, "new_flows_per_second", 0), number(root, "datagrams_per_second", 0),
                    number(root, "bytes_per_second", 0), (long) number(root, "open_descriptors", 0),
                    (long) number(root, "max_descriptors", -1), number(root, "event_loop_busy", 0));
        } catch (RuntimeException e) {
            throw new BalancerException("GET /v1/load: not the expected JSON (" + e.getMessage() + ")");
        }
    }

    private static double number(JsonNode node, String key, double absent) {
        return node.field(key).filter(JsonNode::isNumber).map(n -> Double.parseDouble(n.asNumber())).orElse(absent);
    }
}
