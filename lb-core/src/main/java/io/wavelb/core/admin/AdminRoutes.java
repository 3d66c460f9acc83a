package io.wavelb.core.admin;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.wavelb.config.HostPort;
import io.wavelb.core.metrics.WavelbMetrics;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The route table: from the request line alone, which endpoint a request is for, whether it needs
 * the token, and where it runs. Only the non-blocking answers ({@code /healthz}, {@code /metrics})
 * run on the admin event loop; everything that may wait for a lock, the file system or a name
 * server runs on a worker.
 */
final class AdminRoutes {

    enum Where { LOOP, WORKER }

    sealed interface Match permits Answer, Endpoint {
    }

    /** Decided from the request line: 404, 405, 400. */
    record Answer(Reply reply) implements Match {
    }

    record Endpoint(boolean mutating, Where where, Action action) implements Match {
    }

    interface Action {
        /** @throws AdminException for a refusal the caller answers with its status and message */
        Reply run(Request request) throws AdminException;
    }

    /** What an endpoint gets besides the path: the Accept header and the body (empty when none). */
    record Request(String accept, String body) {
    }

    private final AdminOperations ops;
    private final WavelbMetrics metrics;

    AdminRoutes(AdminOperations ops, WavelbMetrics metrics) {
        this.ops = ops;
        this.metrics = metrics;
    }

    Match match(HttpMethod method, String uri) {
        String path;
        List<String> seg = new ArrayList<>();
        try {
            path = new QueryStringDecoder(uri).rawPath();
            for (String s : path.split("/")) {
                if (!s.isEmpty()) {
                    seg.add(decode(s));
                }
            }
        } catch (IllegalArgumentException e) {
            return new Answer(Reply.error(HttpResponseStatus.BAD_REQUEST, "malformed path: " + e.getMessage()));
        }
        if (seg.size() == 1 && seg.get(0).equals("metrics")) {
            return only(method, HttpMethod.GET, new Endpoint(false, Where.LOOP, r -> {
                WavelbMetrics.Scrape s = metrics.scrape(r.accept());
                return new Reply(HttpResponseStatus.OK, s.contentType(), s.body(), Map.of());
            }));
        }
        if (seg.size() == 1 && seg.get(0).equals("healthz")) {
            return only(method, HttpMethod.GET, new Endpoint(false, Where.LOOP, r -> healthz()));
        }
        if (seg.size() == 1 && seg.get(0).equals("readyz")) {
            return only(method, HttpMethod.GET, new Endpoint(false, Where.WORKER, r -> readyz()));
        }
        if (seg.size() == 2 && seg.get(0).equals("v1") && seg.get(1).equals("targets")) {
            return only(method, HttpMethod.GET, new Endpoint(false, Where.WORKER, r -> targets()));
        }
        if (seg.size() == 2 && seg.get(0).equals("v1") && seg.get(1).equals("reload")) {
            return only(method, HttpMethod.POST, new Endpoint(true, Where.WORKER, r -> reload()));
        }
        if (seg.size() == 2 && seg.get(0).equals("v1") && seg.get(1).equals("drain")) {
            return only(method, HttpMethod.POST, new Endpoint(true, Where.WORKER, r -> drainBalancer()));
        }
        if (seg.size() == 4 && seg.get(0).equals("v1") && seg.get(1).equals("target-groups") && seg.get(3).equals("targets")) {
            String group = seg.get(2);
            return only(method, HttpMethod.PUT, new Endpoint(true, Where.WORKER, r -> replaceTargets(group, r.body())));
        }
        if (seg.size() == 6 && seg.get(0).equals("v1") && seg.get(1).equals("target-groups") && seg.get(3).equals("targets")
                && seg.get(5).equals("drain")) {
            String group = seg.get(2);
            String address = seg.get(4);
            return only(method, HttpMethod.POST, new Endpoint(true, Where.WORKER, r -> drainTarget(group, address)));
        }
        if (seg.size() == 2 && seg.get(0).equals("v1") && seg.get(1).equals("load")) {
            return only(method, HttpMethod.GET, new Endpoint(false, Where.WORKER, r -> load()));
        }
        return new Answer(Reply.error(HttpResponseStatus.NOT_FOUND, "no such endpoint: " + path));
    }

    /** A path segment, %-decoded; a malformed escape is an IllegalArgumentException (400). */
    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    private static Match only(HttpMethod actual, HttpMethod allowed, Endpoint endpoint) {
        if (!actual.equals(allowed)) {
            return new Answer(Reply.error(HttpResponseStatus.METHOD_NOT_ALLOWED, "use " + allowed.name() + " here")
                    .with(HttpHeaderNames.ALLOW.toString(), allowed.name()));
        }
        return endpoint;
    }

    private Reply load() throws AdminException {
        return Reply.json(HttpResponseStatus.OK, ops.load().body());
    }

    /** Alive: 200 {@code ok}; stuck: 503 with one reason per line. */
    private Reply healthz() {
        AdminOperations.Liveness l = ops.liveness();
        if (l.ok()) {
            return Reply.text(HttpResponseStatus.OK, "ok\n");
        }
        return Reply.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "stuck: " + String.join("; ", l.reasons()) + "\n");
    }

    private Reply readyz() {
        AdminOperations.Readiness r = ops.readiness();
        if (r.ready()) {
            return Reply.json(HttpResponseStatus.OK, Map.of("ready", true));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("ready", false);
        body.put("reasons", r.reasons());
        return Reply.json(HttpResponseStatus.SERVICE_UNAVAILABLE, body);
    }

    private Reply targets() {
        List<Object> groups = new ArrayList<>();
        for (AdminOperations.GroupStatus g : ops.targets()) {
            List<Object> ts = new ArrayList<>();
            for (AdminOperations.TargetStatus t : g.targets()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("address", t.address());
                m.put("weight", t.weight());
                if (t.serverId() != null) {
                    m.put("server_id", t.serverId());
                }
                m.put("state", t.state());
                m.put("source", t.source());
                m.put("last_check", t.lastCheck());
                m.put("last_check_result", t.lastCheckResult());
                m.put("active_sessions", t.activeSessions());
                m.put("active_connections", t.activeConnections());
                ts.add(m);
            }
            Map<String, Object> gm = new LinkedHashMap<>();
            gm.put("name", g.name());
            gm.put("algorithm", g.algorithm());
            gm.put("fail_open", g.failOpen());
            gm.put("targets", ts);
            groups.add(gm);
        }
        return Reply.json(HttpResponseStatus.OK, Map.of("target_groups", groups));
    }

    private Reply reload() {
        AdminOperations.ReloadOutcome outcome = ops.reload();
        Map<String, Object> body = new LinkedHashMap<>();
        return switch (outcome) {
            case AdminOperations.Reloaded r -> {
                body.put("reloaded", true);
                body.put("summary", r.summary());
                yield Reply.json(HttpResponseStatus.OK, body);
            }
            case AdminOperations.Rejected r -> {
                body.put("reloaded", false);
                body.put("problems", r.problems().stream().map(io.wavelb.config.Problem::format).toList());
                yield Reply.json(HttpResponseStatus.BAD_REQUEST, body);
            }
            case AdminOperations.Failed f -> {
                body.put("reloaded", false);
                body.put("error", f.message());
                yield Reply.json(HttpResponseStatus.INTERNAL_SERVER_ERROR, body);
            }
        };
    }

    private Reply drainBalancer() throws AdminException {
        ops.drainBalancer();
        return Reply.json(HttpResponseStatus.ACCEPTED, Map.of("draining", true));
    }

    private Reply drainTarget(String group, String address) throws AdminException {
        HostPort hp;
        try {
            hp = HostPort.parse(address);
        } catch (IllegalArgumentException e) {
            return Reply.error(HttpResponseStatus.BAD_REQUEST, "address: " + e.getMessage());
        }
        ops.drain(group, hp);
        return Reply.json(HttpResponseStatus.ACCEPTED, Map.of("draining", hp.toString()));
    }

    private Reply replaceTargets(String group, String body) throws AdminException {
        List<AdminOperations.TargetSpec> specs;
        try {
            specs = TargetListBody.parse(body);
        } catch (TargetListBody.BadBody e) {
            return Reply.error(HttpResponseStatus.BAD_REQUEST, e.getMessage());
        }
        ops.replaceTargets(group, specs);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("target_group", group);
        out.put("targets", specs.size());
        return Reply.json(HttpResponseStatus.OK, out);
    }
}
