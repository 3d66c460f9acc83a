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
import io.wavelb.json.Json;
import io.wavelb.json.Json.JsonException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The balancer's admin API as the agent uses it: readiness, the dynamic target list, the
 * balancer-wide drain and the count of open flows. Blocking calls (the agent runs them on
 * virtual threads), bounded by timeouts.
 */
public final class BalancerClient {

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
        send(authorized("/v1/target-groups/" + URLEncoder.encode(group, StandardCharsets.UTF_8) + "/targets")
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(targetsBody(targets))).build(), 200);
    }

    /** The body of {@code PUT .../targets}: {@code {"targets":[{"address", "weight", "server_id"?}...]}}. */
    static String targetsBody(List<TargetFilter.Target> targets) {
        List<Object> list = new ArrayList<>(targets.size());
        for (TargetFilter.Target t : targets) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("address", t.address());
            m.put("weight", t.weight());
            if (t.serverId() != null) {
                m.put("server_id", t.serverId());
            }
            list.add(m);
        }
        return Json.write(Map.of("targets", list));
    }

    /** The balancer reports not ready from now on and keeps serving. */
    public void drain() throws IOException, InterruptedException {
        send(authorized("/v1/drain").POST(HttpRequest.BodyPublishers.noBody()).build(), 202);
    }

    /** UDP sessions plus TCP connections open across every group. */
    public int openFlows() throws IOException, InterruptedException {
        return parseOpenFlows(send(request("/v1/targets").GET().build(), 200));
    }

    /** Sums {@code active_sessions} and {@code active_connections} over {@code target_groups[].targets[]}. */
    static int parseOpenFlows(String body) throws BalancerException {
        try {
            long n = 0;
            Map<String, Object> root = Json.object(Json.parse(body), "the body");
            for (Object g : Json.array(root.get("target_groups"), "target_groups")) {
                for (Object t : Json.array(Json.object(g, "a target group").get("targets"), "targets")) {
                    Map<String, Object> target = Json.object(t, "a target");
                    n += (long) number(target, "active_sessions", 0) + (long) number(target, "active_connections", 0);
                }
            }
            return (int) Math.min(n, Integer.MAX_VALUE);
        } catch (JsonException e) {
            throw new BalancerException("GET /v1/targets: not the expected JSON (" + e.getMessage() + ")");
        }
    }

    /** {@code GET /v1/load}: the balancer's load figures (contract in lb-core/README.md). */
    public LoadFigures load() throws IOException, InterruptedException {
        return parseLoad(send(request("/v1/load").GET().build(), 200));
    }

    static LoadFigures parseLoad(String body) throws BalancerException {
        try {
            Map<String, Object> root = Json.object(Json.parse(body), "the body");
            List<LoadFigures.Listener> ls = new ArrayList<>();
            if (root.get("listeners") instanceof List<?> listeners) {
                for (Object item : listeners) {
                    Map<String, Object> l = Json.object(item, "a listener");
                    ls.add(new LoadFigures.Listener(Json.string(l, "name").orElse("?"),
                            (int) number(l, "sessions", 0), (int) number(l, "max_sessions", -1)));
                }
            }
            return new LoadFigures(ls, number(root, "new_flows_per_second", 0), number(root, "datagrams_per_second", 0),
                    number(root, "bytes_per_second", 0), (long) number(root, "open_descriptors", 0),
                    (long) number(root, "max_descriptors", -1), number(root, "event_loop_busy", 0));
        } catch (JsonException e) {
            throw new BalancerException("GET /v1/load: not the expected JSON (" + e.getMessage() + ")");
        }
    }

    private static double number(Map<String, Object> object, String key, double absent) {
        return Json.number(object, key).orElse(absent);
    }
}
