package io.wavelb.core.admin;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.wavelb.config.AdminConfig;
import io.wavelb.config.HostPort;
import io.wavelb.core.json.Json;
import io.wavelb.core.listener.Bind;
import io.wavelb.core.metrics.WavelbMetrics;
import io.wavelb.core.transport.Transport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The admin HTTP endpoint: metrics, health, readiness, target views and the mutating calls
 * (dynamic targets, drains, reload), which need a bearer token. It runs on its own one-thread
 * event loop so a slow scrape never competes with the data plane's loops. Reads, checks and
 * translates; what happens is {@link AdminOperations}' business.
 */
public final class AdminServer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(AdminServer.class.getName());
    static final int MAX_BODY = 1024 * 1024;

    private final EventLoopGroup loop;
    private final Channel channel;
    private final AdminOperations ops;
    private final WavelbMetrics metrics;
    private volatile byte[] token;

    private AdminServer(EventLoopGroup loop, Channel channel, AdminOperations ops, WavelbMetrics metrics, byte[] token) {
        this.loop = loop;
        this.channel = channel;
        this.ops = ops;
        this.metrics = metrics;
        this.token = token;
    }

    /**
     * Reads the token file and binds {@code config.listen()} (port 0: any free port).
     *
     * @throws IOException naming the token file when it cannot be read or is empty
     * @throws java.net.BindException naming the address when it cannot bind
     */
    public static AdminServer start(AdminConfig config, Transport transport, AdminOperations ops, WavelbMetrics metrics)
            throws Exception {
        byte[] token = readToken(config.tokenFile());
        EventLoopGroup loop = transport.newEventLoopGroup(1);
        AdminServer[] self = new AdminServer[1];
        ServerBootstrap b = new ServerBootstrap()
                .group(loop)
                .channel(transport.serverSocketChannelClass())
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(MAX_BODY, true),
                                new Handler(() -> self[0]));
                    }
                });
        InetSocketAddress address = new InetSocketAddress(config.listen().host(), config.listen().port());
        ChannelFuture f = b.bind(address).awaitUninterruptibly();
        if (!f.isSuccess()) {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
            throw Bind.failure("tcp", "admin", address, f.cause());
        }
        self[0] = new AdminServer(loop, f.channel(), ops, metrics, token);
        LOG.log(System.Logger.Level.INFO, "admin endpoint on http://" + Bind.format(self[0].localAddress())
                + (token == null ? " (read-only: no admin.token_file)" : ""));
        return self[0];
    }

    static byte[] readToken(Optional<Path> file) throws IOException {
        if (file.isEmpty()) {
            return null;
        }
        String t;
        try {
            t = Files.readString(file.get(), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new IOException("admin.token_file " + file.get() + ": cannot read: " + e.getMessage(), e);
        }
        if (t.isEmpty()) {
            throw new IOException("admin.token_file " + file.get() + ": is empty");
        }
        return t.getBytes(StandardCharsets.UTF_8);
    }

    /** A reload may name another token file: read it, keep the old token if it cannot be read. */
    public void reloadToken(Optional<Path> file) throws IOException {
        this.token = readToken(file);
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly();
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    /** An answer: status, content type and body. */
    record Reply(HttpResponseStatus status, String contentType, String body, Map<String, String> headers) {
        static Reply json(HttpResponseStatus status, Object body) {
            return new Reply(status, "application/json", Json.write(body) + "\n", Map.of());
        }

        static Reply error(HttpResponseStatus status, String message) {
            return json(status, Map.of("error", message));
        }

        Reply with(String header, String value) {
            Map<String, String> h = new LinkedHashMap<>(headers);
            h.put(header, value);
            return new Reply(status, contentType, body, h);
        }
    }

    Reply route(HttpMethod method, String rawPath, String accept, String authorization, String body) {
        String path = new QueryStringDecoder(rawPath).rawPath();
        List<String> seg = new ArrayList<>();
        for (String s : path.split("/")) {
            if (!s.isEmpty()) {
                seg.add(s);
            }
        }
        if (seg.size() == 1 && seg.get(0).equals("metrics")) {
            return only(method, HttpMethod.GET, () -> {
                WavelbMetrics.Scrape s = metrics.scrape(accept);
                return new Reply(HttpResponseStatus.OK, s.contentType(), s.body(), Map.of());
            });
        }
        if (seg.size() == 1 && seg.get(0).equals("healthz")) {
            return only(method, HttpMethod.GET, () -> new Reply(HttpResponseStatus.OK, "text/plain; charset=utf-8", "ok\n", Map.of()));
        }
        if (seg.size() == 1 && seg.get(0).equals("readyz")) {
            return only(method, HttpMethod.GET, this::readyz);
        }
        if (seg.size() == 2 && seg.get(0).equals("v1") && seg.get(1).equals("targets")) {
            return only(method, HttpMethod.GET, this::targets);
        }
        if (seg.size() == 2 && seg.get(0).equals("v1") && seg.get(1).equals("reload")) {
            return only(method, HttpMethod.POST, () -> authorized(authorization, this::reload));
        }
        if (seg.size() == 2 && seg.get(0).equals("v1") && seg.get(1).equals("drain")) {
            return only(method, HttpMethod.POST, () -> authorized(authorization, this::drainBalancer));
        }
        if (seg.size() == 4 && seg.get(0).equals("v1") && seg.get(1).equals("target-groups") && seg.get(3).equals("targets")) {
            String group = decode(seg.get(2));
            return only(method, HttpMethod.PUT, () -> authorized(authorization, () -> replaceTargets(group, body)));
        }
        if (seg.size() == 6 && seg.get(0).equals("v1") && seg.get(1).equals("target-groups") && seg.get(3).equals("targets")
                && seg.get(5).equals("drain")) {
            String group = decode(seg.get(2));
            String address = decode(seg.get(4));
            return only(method, HttpMethod.POST, () -> authorized(authorization, () -> drainTarget(group, address)));
        }
        if (seg.size() == 2 && seg.get(0).equals("v1") && seg.get(1).equals("load")) return only(method, HttpMethod.GET, () -> { try { return Reply.json(HttpResponseStatus.OK, ops.load().body()); } catch (AdminException e) { return Reply.error(HttpResponseStatus.valueOf(e.status()), e.getMessage()); } });
        return Reply.error(HttpResponseStatus.NOT_FOUND, "no such endpoint: " + path);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    private interface Action {
        Reply run();
    }

    private static Reply only(HttpMethod actual, HttpMethod allowed, Action action) {
        if (!actual.equals(allowed)) {
            return Reply.error(HttpResponseStatus.METHOD_NOT_ALLOWED, "use " + allowed.name() + " here")
                    .with(HttpHeaderNames.ALLOW.toString(), allowed.name());
        }
        return action.run();
    }

    private Reply authorized(String authorization, Action action) {
        byte[] expected = token;
        if (expected == null) {
            return Reply.error(HttpResponseStatus.FORBIDDEN, "mutating admin calls are disabled: set admin.token_file");
        }
        String prefix = "Bearer ";
        if (authorization == null || !authorization.regionMatches(true, 0, prefix, 0, prefix.length())) {
            return Reply.error(HttpResponseStatus.UNAUTHORIZED, "missing 'Authorization: Bearer <token>'")
                    .with(HttpHeaderNames.WWW_AUTHENTICATE.toString(), "Bearer");
        }
        byte[] given = authorization.substring(prefix.length()).strip().getBytes(StandardCharsets.UTF_8);
        // Constant time: a byte-by-byte early exit would leak how much of a guess was right.
        if (!MessageDigest.isEqual(given, expected)) {
            return Reply.error(HttpResponseStatus.UNAUTHORIZED, "wrong token")
                    .with(HttpHeaderNames.WWW_AUTHENTICATE.toString(), "Bearer error=\"invalid_token\"");
        }
        return action.run();
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

    private Reply drainBalancer() {
        try {
            ops.drainBalancer();
            return Reply.json(HttpResponseStatus.ACCEPTED, Map.of("draining", true));
        } catch (AdminException e) {
            return Reply.error(HttpResponseStatus.valueOf(e.status()), e.getMessage());
        }
    }

    private Reply drainTarget(String group, String address) {
        HostPort hp;
        try {
            hp = HostPort.parse(address);
        } catch (IllegalArgumentException e) {
            return Reply.error(HttpResponseStatus.BAD_REQUEST, "address: " + e.getMessage());
        }
        try {
            ops.drain(group, hp);
            return Reply.json(HttpResponseStatus.ACCEPTED, Map.of("draining", hp.toString()));
        } catch (AdminException e) {
            return Reply.error(HttpResponseStatus.valueOf(e.status()), e.getMessage());
        }
    }

    private Reply replaceTargets(String group, String body) {
        List<AdminOperations.TargetSpec> specs;
        try {
            specs = TargetListBody.parse(body);
        } catch (TargetListBody.BadBody e) {
            return Reply.error(HttpResponseStatus.BAD_REQUEST, e.getMessage());
        }
        try {
            ops.replaceTargets(group, specs);
        } catch (AdminException e) {
            return Reply.error(HttpResponseStatus.valueOf(e.status()), e.getMessage());
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("target_group", group);
        out.put("targets", specs.size());
        return Reply.json(HttpResponseStatus.OK, out);
    }

    /** Netty side: one aggregated request in, one response out, keep-alive honoured. */
    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final java.util.function.Supplier<AdminServer> server;

        Handler(java.util.function.Supplier<AdminServer> server) {
            this.server = server;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            Reply reply;
            AdminServer s = server.get();
            if (!req.decoderResult().isSuccess()) {
                reply = Reply.error(HttpResponseStatus.BAD_REQUEST, "malformed HTTP request");
            } else if (s == null) {
                reply = Reply.error(HttpResponseStatus.SERVICE_UNAVAILABLE, "starting");
            } else {
                try {
                    reply = s.route(req.method(), req.uri(), req.headers().get(HttpHeaderNames.ACCEPT),
                            req.headers().get(HttpHeaderNames.AUTHORIZATION), req.content().toString(StandardCharsets.UTF_8));
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "admin request " + req.method() + " " + req.uri() + " failed", e);
                    reply = Reply.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error: " + e);
                }
            }
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            ByteBuf body = Unpooled.copiedBuffer(reply.body(), StandardCharsets.UTF_8);
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, reply.status(), body);
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, reply.contentType());
            res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
            reply.headers().forEach((k, v) -> res.headers().set(k, v));
            if (keepAlive) {
                res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
                ctx.writeAndFlush(res);
            } else {
                ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
