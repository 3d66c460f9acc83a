package io.wavelb.core.admin;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.DecoderResultProvider;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One admin connection, one request at a time. The headers decide first: route, method, token,
 * declared length. A request refused there is answered at once and the connection closed, its body
 * never read into a buffer. An accepted body is copied to the heap (never pooled direct memory) up
 * to the route's limit. While a request is being answered the connection reads nothing, so a client
 * that pipelines requests without reading answers holds at most one answer.
 */
final class AdminConnection extends ChannelInboundHandlerAdapter {

    private enum State {
        /** Waiting for the next request's headers. */
        AWAIT,
        /** Reading an accepted request's body. */
        BODY,
        /** A request answered from its line alone (404, 405): its empty body is skipped. */
        SKIP,
        /** The request is complete and being answered. */
        BUSY,
        /** An answer with {@code Connection: close} is on its way. */
        CLOSING
    }

    /** How long a connection answered with "close" may still send (dropped) bytes before it is closed. */
    static final long LINGER_MILLIS = 1000;

    private final AdminServer server;
    private State state = State.AWAIT;
    private ScheduledFuture<?> deadline;
    private boolean keepAlive;
    private String accept;
    private AdminRoutes.Endpoint endpoint;
    private Reply pending;
    private byte[] body = new byte[0];
    private int bodyLength;
    private int limit;
    /** Which answer is current: a worker's late answer to an earlier request is dropped. */
    private long sequence;
    /** Answers written on this connection. */
    private long answered;

    AdminConnection(AdminServer server) {
        this.server = server;
    }

    /**
     * Which connection to close first when the cap is reached, lowest first: 0 closing anyway,
     * 1 never sent a whole request (a slow or idle client that has not asked anything yet), 2 an
     * idle keep-alive connection that was answered before (likely a scraper); -1 never (its
     * request is being answered).
     */
    int evictionRank() {
        return switch (state) {
            case CLOSING -> 0;
            case AWAIT, BODY, SKIP -> answered == 0 ? 1 : 2;
            case BUSY -> -1;
        };
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        armDeadline(ctx);
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelDeadline();
        state = State.CLOSING;
        body = null;
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof DecoderResultProvider p && p.decoderResult().isFailure()) {
                malformed(ctx, p.decoderResult());
                return;
            }
            switch (state) {
                case AWAIT -> {
                    if (msg instanceof HttpRequest req) {
                        onHeaders(ctx, req);
                    }
                    // else: the end of a request already answered and closed
                }
                case BODY, SKIP -> {
                    if (msg instanceof HttpContent c) {
                        onContent(ctx, c);
                    }
                }
                case BUSY -> {
                    // Pipelined: answered in order would need a queue; the connection closes after the current answer.
                    keepAlive = false;
                }
                case CLOSING -> {
                }
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onHeaders(ChannelHandlerContext ctx, HttpRequest req) {
        keepAlive = HttpUtil.isKeepAlive(req);
        accept = req.headers().get(HttpHeaderNames.ACCEPT);
        long declared;
        try {
            declared = HttpUtil.getContentLength(req, 0L);
        } catch (NumberFormatException e) {
            refuse(ctx, AdminServer.Refusal.MALFORMED, Reply.error(HttpResponseStatus.BAD_REQUEST, "malformed Content-Length"));
            return;
        }
        boolean hasBody = declared > 0 || HttpUtil.isTransferEncodingChunked(req);
        AdminRoutes.Match match = server.routes().match(req.method(), req.uri());
        switch (match) {
            case AdminRoutes.Answer a -> {
                if (hasBody) {
                    refuse(ctx, null, a.reply());
                } else {
                    pending = a.reply();
                    limit = AdminLimits.MAX_UNAUTHENTICATED_BODY;
                    state = State.SKIP;
                }
            }
            case AdminRoutes.Endpoint e -> {
                if (e.mutating()) {
                    Optional<Reply> refusal = server.auth().refusal(req.headers().get(HttpHeaderNames.AUTHORIZATION));
                    if (refusal.isPresent()) {
                        refuse(ctx, AdminServer.Refusal.UNAUTHORIZED, refusal.get());
                        return;
                    }
                }
                limit = e.mutating() ? AdminLimits.MAX_AUTHENTICATED_BODY : AdminLimits.MAX_UNAUTHENTICATED_BODY;
                if (declared > limit) {
                    refuse(ctx, AdminServer.Refusal.TOO_LARGE, tooLarge());
                    return;
                }
                if (HttpUtil.is100ContinueExpected(req)) {
                    ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER))
                            .addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
                }
                endpoint = e;
                bodyLength = 0;
                state = State.BODY;
            }
        }
    }

    private void onContent(ChannelHandlerContext ctx, HttpContent c) {
        ByteBuf content = c.content();
        int n = content.readableBytes();
        if ((long) bodyLength + n > limit) {
            refuse(ctx, AdminServer.Refusal.TOO_LARGE, tooLarge());
            return;
        }
        if (state == State.BODY && n > 0) {
            if (body.length < bodyLength + n) {
                body = Arrays.copyOf(body, Math.min(limit, Math.max(bodyLength + n, body.length * 2)));
            }
            content.getBytes(content.readerIndex(), body, bodyLength, n);
        }
        bodyLength += n;
        if (c instanceof LastHttpContent) {
            if (state == State.SKIP) {
                respond(ctx, pending, false);
            } else {
                dispatch(ctx, new AdminRoutes.Request(accept, new String(body, 0, bodyLength, StandardCharsets.UTF_8)));
            }
        }
    }

    private static Reply tooLarge() {
        return Reply.error(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "body too large for this call");
    }

    private void malformed(ChannelHandlerContext ctx, DecoderResult result) {
        Throwable cause = result.cause();
        Reply reply;
        if (cause instanceof TooLongHttpLineException) {
            reply = Reply.error(HttpResponseStatus.REQUEST_URI_TOO_LONG,
                    "request line longer than " + AdminLimits.MAX_REQUEST_LINE + " bytes");
        } else if (cause instanceof TooLongHttpHeaderException) {
            reply = Reply.error(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                    "headers longer than " + AdminLimits.MAX_HEADERS + " bytes");
        } else if (cause instanceof TooLongFrameException) {
            reply = Reply.error(HttpResponseStatus.BAD_REQUEST, "request too large");
        } else {
            reply = Reply.error(HttpResponseStatus.BAD_REQUEST, "malformed HTTP request");
        }
        if (state == State.CLOSING || state == State.BUSY) {
            keepAlive = false;
            return;
        }
        refuse(ctx, AdminServer.Refusal.MALFORMED, reply);
    }

    /** Answers and closes: nothing more is read from this connection. */
    private void refuse(ChannelHandlerContext ctx, AdminServer.Refusal reason, Reply reply) {
        if (reason != null) {
            server.refused(reason);
        }
        keepAlive = false;
        respond(ctx, reply, true);
    }

    private void dispatch(ChannelHandlerContext ctx, AdminRoutes.Request request) {
        cancelDeadline();
        state = State.BUSY;
        body = new byte[0];
        ctx.channel().config().setAutoRead(false);
        AdminRoutes.Endpoint e = endpoint;
        endpoint = null;
        long mine = ++sequence;
        if (e.where() == AdminRoutes.Where.LOOP) {
            respond(ctx, server.run(e, request), false);
            return;
        }
        ScheduledFuture<?> timeout = ctx.executor().schedule(() -> {
            if (sequence == mine && state == State.BUSY) {
                server.refused(AdminServer.Refusal.TIMEOUT);
                keepAlive = false;
                respond(ctx, Reply.error(HttpResponseStatus.SERVICE_UNAVAILABLE, "no answer within "
                        + AdminLimits.WORK_TIMEOUT.toSeconds() + "s; the call goes on, the log says how it ends"), true);
            }
        }, AdminLimits.WORK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        try {
            server.worker().execute(() -> {
                Reply reply = server.run(e, request);
                try {
                    ctx.executor().execute(() -> {
                        timeout.cancel(false);
                        if (sequence == mine && state == State.BUSY) {
                            respond(ctx, reply, false);
                        }
                    });
                } catch (RejectedExecutionException gone) {
                    // the admin loop is shutting down: nobody is left to answer
                }
            });
        } catch (RejectedExecutionException full) {
            timeout.cancel(false);
            server.refused(AdminServer.Refusal.BUSY);
            respond(ctx, Reply.error(HttpResponseStatus.SERVICE_UNAVAILABLE, "the admin endpoint is busy ("
                    + AdminLimits.WORK_QUEUE + " calls waiting); try again").with(HttpHeaderNames.RETRY_AFTER.toString(), "1"), false);
        }
    }

    private void respond(ChannelHandlerContext ctx, Reply reply, boolean close) {
        cancelDeadline();
        ByteBuf content = Unpooled.copiedBuffer(reply.body(), StandardCharsets.UTF_8);
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, reply.status(), content);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, reply.contentType());
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        reply.headers().forEach((k, v) -> res.headers().set(k, v));
        if (close || !keepAlive) {
            state = State.CLOSING;
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(res).addListener(f -> lingerThenClose(ctx, f.isSuccess()));
            return;
        }
        state = State.BUSY;
        res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        ctx.writeAndFlush(res).addListener(f -> {
            if (!f.isSuccess() || (state == State.BUSY && !keepAlive)) {
                state = State.CLOSING;
                ctx.close();
            } else if (state == State.BUSY) {
                answered++;
                state = State.AWAIT;
                body = new byte[0];
                armDeadline(ctx);
                ctx.channel().config().setAutoRead(true);
            }
        });
    }

    /**
     * Closing a socket with unread bytes in its receive buffer sends a reset, and the client may
     * lose the answer it was sent (a refused body still arriving). So: FIN after the answer, read
     * and drop whatever still comes for at most {@link #LINGER_MILLIS}, then close.
     */
    private void lingerThenClose(ChannelHandlerContext ctx, boolean written) {
        if (!written || !(ctx.channel() instanceof DuplexChannel duplex)) {
            ctx.close();
            return;
        }
        duplex.shutdownOutput().addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        ctx.channel().config().setAutoRead(true);
        // Cancelled by nothing: it only closes, and closing twice is harmless.
        ctx.executor().schedule(() -> ctx.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void armDeadline(ChannelHandlerContext ctx) {
        cancelDeadline();
        deadline = ctx.executor().schedule(() -> {
            if (state == State.AWAIT || state == State.BODY || state == State.SKIP) {
                server.refused(AdminServer.Refusal.TIMEOUT);
                state = State.CLOSING;
                ctx.close();
            }
        }, AdminLimits.REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void cancelDeadline() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A reset or a read error: the connection is over; the codec reports bad requests as results, not here.
        ctx.close();
    }
}
