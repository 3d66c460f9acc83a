package io.wavelb.agent.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP proxy in front of the emulator that misbehaves on purpose: Route 53 change requests
 * answered with Throttling, list requests with 503, Cloud Map calls slowed, dropped or failed.
 * Faults are counted so a test can tell they happened.
 */
public final class FaultProxy implements AutoCloseable {

    private static final Set<String> HOP_BY_HOP = Set.of("connection", "content-length", "host", "transfer-encoding",
            "expect", "upgrade", "keep-alive");

    private final HttpServer server;
    private final URI upstream;
    private final HttpClient http = HttpClient.newHttpClient();
    private final AtomicInteger route53Changes = new AtomicInteger();
    private final AtomicInteger route53Lists = new AtomicInteger();
    private final AtomicInteger cloudMapCalls = new AtomicInteger();
    public final AtomicInteger faults = new AtomicInteger();
    /** When each Route 53 request arrived (System.nanoTime), faulted or not. */
    public final List<Long> route53RequestNanos = new CopyOnWriteArrayList<>();
    /** The scheduled faults above (Throttling, 503, slow, dropped); off = a transparent proxy. */
    public volatile boolean scheduledFaults = true;
    /** While set, every Cloud Map call is answered 503 (an outage of one service, Route 53 unaffected). */
    public volatile boolean cloudMapDown;
    /** Every request, in arrival order, faulted or not. */
    public final List<Request> requests = new CopyOnWriteArrayList<>();
    /**
     * Query-protocol actions (Auto Scaling, CloudWatch) answered here with an empty success instead of
     * being forwarded: for calls the emulator does not support, whose requests a test asserts.
     */
    public final Set<String> answeredHere = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Query-protocol actions answered here with this XML body (fields the emulator leaves out). */
    public final java.util.Map<String, String> answers = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * One request as the agent sent it. {@code action} is the API action: the {@code X-Amz-Target}
     * suffix (JSON protocols: Cloud Map), the {@code Action=} of a query-protocol body (EC2, Auto
     * Scaling, CloudWatch), or the Route 53 REST call named from its method and path.
     */
    public record Request(long nanos, String service, String action, String body) {
    }

    static String route53Action(String method, String path) {
        if (path.matches(".*/hostedzone/[^/]+/rrset/?") ) {
            return method.equals("POST") ? "ChangeResourceRecordSets" : "ListResourceRecordSets";
        }
        if (path.contains("/change/")) {
            return "GetChange";
        }
        if (path.endsWith("/hostedzonesbyname")) {
            return "ListHostedZonesByName";
        }
        return method + " " + path;
    }

    /** The actions seen so far, in order. */
    public List<String> actions() {
        return requests.stream().map(Request::action).toList();
    }

    public FaultProxy(URI upstream) throws IOException {
        this.upstream = upstream;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
        server.start();
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body = ex.getRequestBody().readAllBytes();
            String path = ex.getRequestURI().getPath();
            boolean route53 = path.startsWith("/2013-04-01/");
            if (route53) {
                route53RequestNanos.add(System.nanoTime());
            }
            // ChangeResourceRecordSets is POST .../rrset/ (trailing slash); ListResourceRecordSets is GET .../rrset.
            boolean rrset = path.endsWith("/rrset") || path.endsWith("/rrset/");
            String text = new String(body, StandardCharsets.UTF_8);
            String target = ex.getRequestHeaders().getFirst("X-Amz-Target");
            String action;
            String service;
            if (route53) {
                service = "route53";
                action = route53Action(ex.getRequestMethod(), path);
            } else if (target != null) {
                service = target.startsWith("Route53AutoNaming") ? "servicediscovery" : target.substring(0, target.indexOf('.'));
                action = target.substring(target.indexOf('.') + 1);
            } else {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?:^|&)Action=([A-Za-z]+)").matcher(text);
                action = m.find() ? m.group(1) : ex.getRequestMethod() + " " + path;
                String auth = String.valueOf(ex.getRequestHeaders().getFirst("Authorization"));
                java.util.regex.Matcher sm = java.util.regex.Pattern.compile("Credential=[^/]+/[^/]+/[^/]+/([^/]+)/").matcher(auth);
                service = sm.find() ? sm.group(1) : "?";
            }
            requests.add(new Request(System.nanoTime(), service, action, text));
            if (answers.containsKey(action)) {
                reply(ex, 200, "text/xml", answers.get(action));
                return;
            }
            if (answeredHere.contains(action)) {
                reply(ex, 200, "text/xml", "<" + action + "Response><ResponseMetadata><RequestId>proxy</RequestId>"
                        + "</ResponseMetadata></" + action + "Response>");
                return;
            }
            if (!route53 && cloudMapDown) {
                faults.incrementAndGet();
                reply(ex, 503, "application/x-amz-json-1.1", "{\"__type\":\"ServiceUnavailable\"}");
                return;
            }
            if (!scheduledFaults) {
                // forward as is
            } else if (route53 && rrset && ex.getRequestMethod().equals("POST")) {
                // the first five change requests: Route 53's own throttling answer
                if (route53Changes.incrementAndGet() <= 5) {
                    faults.incrementAndGet();
                    reply(ex, 400, "text/xml", "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"https://route53.amazonaws.com/"
                            + "doc/2013-04-01/\"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded"
                            + "</Message></Error><RequestId>fault</RequestId></ErrorResponse>");
                    return;
                }
            } else if (route53 && rrset) {
                if (route53Lists.incrementAndGet() % 4 == 1) {
                    faults.incrementAndGet();
                    reply(ex, 503, "text/plain", "unavailable");
                    return;
                }
            } else if (!route53) {
                int n = cloudMapCalls.incrementAndGet();
                if (n % 7 == 3) {
                    faults.incrementAndGet();
                    reply(ex, 503, "application/x-amz-json-1.1", "{\"__type\":\"ServiceUnavailable\"}");
                    return;
                }
                if (n % 11 == 5) {
                    faults.incrementAndGet();
                    return; // dropped: closed with no answer at all
                }
                if (n % 13 == 6) {
                    faults.incrementAndGet();
                    Thread.sleep(1500); // slow
                }
            }
            HttpRequest.Builder fwd = HttpRequest.newBuilder(upstream.resolve(ex.getRequestURI().toString()))
                    .method(ex.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(body));
            ex.getRequestHeaders().forEach((k, vs) -> {
                if (!HOP_BY_HOP.contains(k.toLowerCase())) {
                    vs.forEach(v -> fwd.header(k, v));
                }
            });
            HttpResponse<byte[]> res = http.send(fwd.build(), HttpResponse.BodyHandlers.ofByteArray());
            res.headers().map().forEach((k, vs) -> {
                if (!HOP_BY_HOP.contains(k.toLowerCase()) && !k.startsWith(":")) {
                    ex.getResponseHeaders().put(k, List.copyOf(vs));
                }
            });
            ex.sendResponseHeaders(res.statusCode(), res.body().length == 0 ? -1 : res.body().length);
            if (res.body().length > 0) {
                try (OutputStream o = ex.getResponseBody()) {
                    o.write(res.body());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void reply(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(b);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
