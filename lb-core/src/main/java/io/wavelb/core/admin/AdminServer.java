package io.wavelb.core.admin;

import io.micrometer.core.instrument.Counter;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.ReferenceCountUtil;
import io.wavelb.config.AdminConfig;
import io.wavelb.core.listener.AcceptFailures;
import io.wavelb.core.listener.Bind;
import io.wavelb.core.listener.DescriptorReserve;
import io.wavelb.core.listener.RateLimitedLog;
import io.wavelb.core.metrics.WavelbMetrics;
import io.wavelb.core.transport.BoundedWait;
import io.wavelb.core.transport.LoopStop;
import io.wavelb.core.transport.Transport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The admin HTTP endpoint: metrics, health, readiness, target views and the mutating calls
 * (dynamic targets, drains, reload), which need a bearer token. It runs on its own one-thread
 * event loop, with its own bounds ({@link AdminLimits}): a connection cap, a deadline per request,
 * header and body limits, the token checked before any body is read, and a few descriptors in
 * reserve. Calls that may block run on a small worker pool, so {@code /healthz} and
 * {@code /metrics} answer whatever a reload or a slow name server does. Reads, checks and
 * translates; what happens is {@link AdminOperations}' business.
 */
public final class AdminServer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(AdminServer.class.getName());
    /** The largest body of an authenticated call. */
    static final int MAX_BODY = AdminLimits.MAX_AUTHENTICATED_BODY;

    /** Why a connection or request was refused: the {@code reason} tag of {@code wavelb_admin_refused_total}. */
    enum Refusal {
        CONNECTION_LIMIT, TIMEOUT, TOO_LARGE, UNAUTHORIZED, MALFORMED, BUSY;

        String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final EventLoopGroup loop;
    private final AdminRoutes routes;
    private final AdminAuth auth;
    private final ThreadPoolExecutor worker;
    private final DescriptorReserve reserve = new DescriptorReserve(AdminLimits.RESERVED_DESCRIPTORS);
    private final Map<Refusal, Counter> refused = new EnumMap<>(Refusal.class);
    private final Counter acceptFailures;
    private final RateLimitedLog overLimit = new RateLimitedLog(LOG, TimeUnit.SECONDS.toNanos(10));
    private final RateLimitedLog failures = new RateLimitedLog(LOG, TimeUnit.SECONDS.toNanos(10));
    private final Gate gate = new Gate();
    private volatile Channel channel;

    private AdminServer(Transport transport, AdminOperations ops, WavelbMetrics metrics, byte[] token) {
        this.loop = transport.newEventLoopGroup(1);
        this.routes = new AdminRoutes(ops, metrics);
        this.auth = new AdminAuth(token);
        this.worker = new ThreadPoolExecutor(AdminLimits.WORKERS, AdminLimits.WORKERS, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(AdminLimits.WORK_QUEUE), r -> {
                    Thread t = new Thread(r, "wavelb-admin-worker");
                    t.setDaemon(true);
                    return t;
                });
        worker.allowCoreThreadTimeOut(true);
        for (Refusal r : Refusal.values()) {
            refused.put(r, Counter.builder("wavelb_admin_refused").tag("reason", r.tag())
                    .description("Admin connections and requests refused, by reason").register(metrics.registry()));
        }
        acceptFailures = Counter.builder("wavelb_admin_accept_failures")
                .description("Admin connections the kernel could not hand over (EMFILE, ENFILE, ENOMEM)").register(metrics.registry());
    }

    /**
     * Reads the token file and binds {@code config.listen()} (port 0: any free port).
     *
     * @throws IOException naming the token file when it cannot be read, is empty or is refused
     * @throws java.net.BindException naming the address when it cannot bind
     */
    public static AdminServer start(AdminConfig config, Transport transport, AdminOperations ops, WavelbMetrics metrics)
            throws Exception {
        byte[] token = TokenFile.read(config.tokenFile());
        AdminServer server = new AdminServer(transport, ops, metrics, token);
        InetSocketAddress address = new InetSocketAddress(config.listen().host(), config.listen().port());
        try {
            server.bind(transport, address);
        } catch (Exception | Error e) {
            server.close();
            throw e;
        }
        LOG.log(System.Logger.Level.INFO, "admin endpoint on http://" + Bind.format(server.localAddress())
                + (token == null ? " (read-only: no admin.token_file)" : ""));
        return server;
    }

    private void bind(Transport transport, InetSocketAddress address) throws Exception {
        warmUp();
        if (!reserve.refill()) {
            LOG.log(System.Logger.Level.WARNING, "admin: cannot hold " + AdminLimits.RESERVED_DESCRIPTORS
                    + " descriptors in reserve (has " + reserve.held() + "); the admin endpoint may not answer when descriptors run out");
        }
        AcceptFailures acceptFailed = new AcceptFailures("admin", LOG, () -> reserve.releaseOneFor("admin endpoint"),
                acceptFailures::increment);
        ServerBootstrap b = new ServerBootstrap()
                .group(loop)
                .channel(transport.serverSocketChannelClass())
                .option(ChannelOption.SO_REUSEADDR, true)
                .handler(new ChannelInitializer<ServerSocketChannel>() {
                    @Override
                    protected void initChannel(ServerSocketChannel ch) {
                        ch.pipeline().addLast(acceptFailed, gate);
                    }
                })
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(AdminLimits.MAX_REQUEST_LINE, AdminLimits.MAX_HEADERS,
                                8192), new AdminConnection(AdminServer.this));
                    }
                });
        ChannelFuture f = b.bind(address).awaitUninterruptibly();
        if (!f.isSuccess()) {
            throw Bind.failure("tcp", "admin", address, f.cause());
        }
        channel = f.channel();
        // Descriptors given back during an EMFILE spell are taken again once some are free.
        loop.next().scheduleWithFixedDelay(reserve::refill, 1, 1, TimeUnit.SECONDS);
    }

    /**
     * Serves a few requests in memory while descriptors are plentiful, so the classes a request
     * needs are loaded now. From a class directory (a test JVM, a build tree), a class first loaded
     * during an EMFILE spell fails for good (its file cannot be opened, and the JDK keeps the
     * NoClassDefFoundError), so that connection would fail however many descriptors the reserve
     * gave. From the shipped jar, open already, the load works even then; there this only spares
     * the first request the loading. Only paths that count nothing.
     */
    private void warmUp() {
        EmbeddedChannel ch = new EmbeddedChannel(new HttpServerCodec(AdminLimits.MAX_REQUEST_LINE, AdminLimits.MAX_HEADERS, 8192),
                new AdminConnection(this));
        for (String request : List.of("/healthz", "/metrics", "/nope", "/%zz", "/v1/reload")) {
            ch.writeInbound(Unpooled.copiedBuffer("GET " + request + " HTTP/1.1\r\nHost: warm-up\r\n\r\n",
                    StandardCharsets.US_ASCII));
            for (Object out = ch.readOutbound(); out != null; out = ch.readOutbound()) {
                ReferenceCountUtil.release(out);
            }
        }
        ch.finishAndReleaseAll();
    }

    /**
     * On the server channel, before Netty's acceptor: enforces {@link AdminLimits#MAX_CONNECTIONS}.
     * At the cap one connection without a request being answered is closed to make room (a slow
     * sender that never completed a request first, an idle keep-alive one that was answered
     * before last, oldest first), so a few hundred slow clients cannot lock the operator's scraper
     * out; when every connection is being answered, the new one is closed at once. Both are counted.
     */
    private final class Gate extends ChannelInboundHandlerAdapter {
        /** Open connections, oldest first; only the admin loop touches it. */
        private final java.util.LinkedHashSet<Channel> open = new java.util.LinkedHashSet<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            Channel child = (Channel) msg;
            if (open.size() >= AdminLimits.MAX_CONNECTIONS && !evictOne()) {
                refused(Refusal.CONNECTION_LIMIT);
                overLimit.warn("admin: " + open.size() + " connections open (the limit), all busy; closing new ones at once");
                child.unsafe().closeForcibly();
                return;
            }
            open.add(child);
            child.closeFuture().addListener(f -> {
                open.remove(child);
                reserve.refill();
            });
            ctx.fireChannelRead(child);
        }

        /** Closes the oldest connection of the lowest {@link AdminConnection#evictionRank}; false when all are busy. */
        private boolean evictOne() {
            Channel victim = null;
            int best = Integer.MAX_VALUE;
            for (Channel c : open) {
                AdminConnection conn = c.pipeline().get(AdminConnection.class);
                int rank = conn == null ? 0 : conn.evictionRank();
                if (rank >= 0 && rank < best) {
                    victim = c;
                    best = rank;
                }
            }
            if (victim == null) {
                return false;
            }
            open.remove(victim);
            refused(Refusal.CONNECTION_LIMIT);
            overLimit.warn("admin: " + AdminLimits.MAX_CONNECTIONS + " connections open (the limit); "
                    + "closing the oldest one without a request being answered to make room");
            victim.close();
            return true;
        }
    }

    /** Runs an endpoint; a bug answers 500 without internals and is logged, rate-limited. */
    Reply run(AdminRoutes.Endpoint e, AdminRoutes.Request request) {
        try {
            return e.action().run(request);
        } catch (AdminException ex) {
            return Reply.error(HttpResponseStatus.valueOf(ex.status()), ex.getMessage());
        } catch (IllegalArgumentException ex) {
            return Reply.error(HttpResponseStatus.BAD_REQUEST, "malformed request: " + ex.getMessage());
        } catch (RuntimeException | LinkageError ex) {
            failures.warn("admin: a call failed: " + ex);
            return Reply.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error; the log has the cause");
        }
    }

    AdminRoutes routes() {
        return routes;
    }

    AdminAuth auth() {
        return auth;
    }

    ExecutorService worker() {
        return worker;
    }

    void refused(Refusal reason) {
        refused.get(reason).increment();
    }

    /**
     * Reads a reload's token file and returns what installs it: the reload applies it only when
     * the whole reload is applied.
     *
     * @throws IOException naming the file and why it was refused
     */
    public Runnable prepareToken(Optional<Path> file) throws IOException {
        byte[] next = TokenFile.read(file);
        return () -> auth.set(next);
    }

    /** The admin endpoint's own event loop (tests hold it to stand for a stuck one). */
    EventLoopGroup loop() {
        return loop;
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    /**
     * How long {@link #close} waits for the admin loop at each step (the listening socket closed,
     * the loop ended): a stuck admin loop must not keep the process from stopping.
     */
    static final Duration CLOSE_STEP = Duration.ofSeconds(5);

    @Override
    public void close() {
        Channel c = channel;
        if (c != null) {
            BoundedWait.await(c.close(), CLOSE_STEP, LOG, "admin endpoint: closing its listening socket");
        }
        // Close the open connections while the loop still runs tasks: a connection closed by the
        // loop's own shutdown may never see channelInactive, and the HTTP decoder would keep the
        // half-read request's buffer. The second task runs after the closes' inactive events.
        try {
            loop.submit(() -> List.copyOf(gate.open).forEach(Channel::close)).awaitUninterruptibly(1, TimeUnit.SECONDS);
            loop.submit(() -> { }).awaitUninterruptibly(1, TimeUnit.SECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // already shut down
        }
        worker.shutdownNow();
        LoopStop.stop(loop, Duration.ofSeconds(1), CLOSE_STEP, LOG, "admin endpoint: event loop still running");
        reserve.close();
    }
}
