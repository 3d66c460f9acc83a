package io.wavelb.core.health;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import io.wavelb.config.HealthCheckConfig;
import io.wavelb.core.health.state.ProbeResult;
import io.wavelb.core.health.state.ProbeResult.Kind;
import io.wavelb.core.linux.LocalPorts;
import io.wavelb.core.listener.AcceptFailures;
import io.wavelb.core.transport.CloseFromRead;
import io.wavelb.core.transport.Transport;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One active probe of one address, on the given event loop. Every probe completes exactly once
 * (success, failure or timeout) and closes what it opened; it never blocks the loop.
 */
public sealed interface Prober permits Prober.Tcp, Prober.Http, Prober.Udp {

    CompletableFuture<ProbeResult> probe(InetSocketAddress address, EventLoop loop);

    static Prober of(HealthCheckConfig config, Transport transport) {
        return switch (config.protocol()) {
            case TCP -> new Tcp(config, transport);
            case HTTP -> new Http(config, transport);
            case UDP -> new Udp(config, transport::newDatagramChannel);
        };
    }

    /** What a failed probe says; a socket this host could not make or connect says nothing of the target. */
    static ProbeResult classify(Throwable cause) {
        if (AcceptFailures.outOfDescriptors(cause)) {
            return ProbeResult.failure(Kind.NO_SOCKET, AcceptFailures.describe(cause));
        }
        if (LocalPorts.exhausted(cause)) {
            // Every local port towards the target is taken (TIME_WAIT included): this host's shortage.
            return ProbeResult.failure(Kind.NO_SOCKET, "no free local port: " + cause.getMessage());
        }
        if (cause instanceof ConnectTimeoutException) {
            return ProbeResult.failure(Kind.TIMEOUT, cause.getMessage());
        }
        if (cause instanceof ConnectException) {
            return ProbeResult.failure(Kind.REFUSED, cause.getMessage());
        }
        if (cause instanceof PortUnreachableException) {
            return ProbeResult.failure(Kind.PORT_UNREACHABLE, "ICMP port unreachable");
        }
        return ProbeResult.failure(Kind.ERROR, String.valueOf(cause));
    }

    /** Completes the probe with a timeout failure and closes the channel if nothing answered in time. */
    private static void armTimeout(CompletableFuture<ProbeResult> result, Channel ch, EventLoop loop, long timeoutMillis) {
        var timer = loop.schedule(() -> {
            result.complete(ProbeResult.failure(Kind.TIMEOUT, "no answer within " + timeoutMillis + "ms"));
            ch.close();
        }, timeoutMillis, TimeUnit.MILLISECONDS);
        result.whenComplete((r, e) -> {
            timer.cancel(false);
            closeIfMade(ch);
        });
    }

    /**
     * Closes the probe's channel unless it was never made: with no descriptor for its socket the
     * bootstrap hands back a stand-in channel whose close throws (logged by Netty for every probe).
     */
    private static void closeIfMade(Channel ch) {
        try {
            if (ch instanceof DatagramChannel) {
                // Completed from the reply's channelRead, inside Netty's read loop.
                CloseFromRead.close(ch);
            } else {
                ch.close();
            }
        } catch (IllegalStateException neverRegistered) {
            // The stand-in: there is no socket to close.
        }
    }

    /** Healthy when a TCP connection opens within the timeout. */
    record Tcp(HealthCheckConfig config, Transport transport) implements Prober {
        @Override
        public CompletableFuture<ProbeResult> probe(InetSocketAddress address, EventLoop loop) {
            CompletableFuture<ProbeResult> result = new CompletableFuture<>();
            new Bootstrap().group(loop).channel(transport.socketChannelClass())
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) config.timeout().toMillis())
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(address).addListener((ChannelFuture f) -> {
                        result.complete(f.isSuccess() ? ProbeResult.SUCCESS : classify(f.cause()));
                        closeIfMade(f.channel());
                    });
            return result;
        }
    }

    /** Healthy when {@code GET path} answers a status in the configured range within the timeout. */
    record Http(HealthCheckConfig config, Transport transport) implements Prober {
        @Override
        public CompletableFuture<ProbeResult> probe(InetSocketAddress address, EventLoop loop) {
            CompletableFuture<ProbeResult> result = new CompletableFuture<>();
            long timeout = config.timeout().toMillis();
            ChannelFuture connect = new Bootstrap().group(loop).channel(transport.socketChannelClass())
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeout)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpClientCodec(), new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                    try {
                                        if (msg instanceof HttpResponse r) {
                                            int code = r.status().code();
                                            result.complete(config.httpStatus().contains(code) ? ProbeResult.SUCCESS
                                                    : ProbeResult.failure(Kind.BAD_RESPONSE, "status " + code
                                                    + " (expected " + config.httpStatus() + ")"));
                                        }
                                    } finally {
                                        ReferenceCountUtil.release(msg);
                                    }
                                }

                                @Override
                                public void channelInactive(ChannelHandlerContext ctx) {
                                    result.complete(ProbeResult.failure(Kind.BAD_RESPONSE, "connection closed before a response"));
                                }

                                @Override
                                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                    result.complete(classify(cause));
                                }
                            });
                        }
                    })
                    .connect(address);
            armTimeout(result, connect.channel(), loop, timeout);
            connect.addListener((ChannelFuture f) -> {
                if (!f.isSuccess()) {
                    result.complete(classify(f.cause()));
                    return;
                }
                String host = address.getAddress().getHostAddress();
                DefaultFullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, config.path());
                req.headers().set(HttpHeaderNames.HOST, host.indexOf(':') >= 0 ? "[" + host + "]" : host)
                        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
                        .set(HttpHeaderNames.USER_AGENT, "wavelb-health-check");
                f.channel().writeAndFlush(req).addListener((ChannelFuture w) -> {
                    if (!w.isSuccess()) {
                        result.complete(classify(w.cause()));
                    }
                });
            });
            return result;
        }
    }

    /**
     * Sends {@code send} on a connected UDP socket; healthy when a reply starting with {@code expect}
     * comes back. A connected socket learns of an ICMP port unreachable (ECONNREFUSED) at once, so a
     * target with nothing listening fails without waiting for the timeout.
     */
    record Udp(HealthCheckConfig config, Supplier<DatagramChannel> sockets) implements Prober {
        @Override
        public CompletableFuture<ProbeResult> probe(InetSocketAddress address, EventLoop loop) {
            CompletableFuture<ProbeResult> result = new CompletableFuture<>();
            DatagramChannel ch;
            try {
                ch = sockets.get();
            } catch (RuntimeException e) {
                result.complete(AcceptFailures.outOfDescriptors(e)
                        ? ProbeResult.failure(Kind.NO_SOCKET, AcceptFailures.describe(e))
                        : ProbeResult.failure(Kind.ERROR, "cannot open a socket: " + e.getMessage()));
                return result;
            }
            byte[] expect = config.expect().bytes();
            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    try {
                        ByteBuf content = ((DatagramPacket) msg).content();
                        byte[] got = new byte[Math.min(content.readableBytes(), Math.max(expect.length, 1))];
                        content.getBytes(content.readerIndex(), got);
                        boolean ok = content.readableBytes() >= expect.length
                                && Arrays.equals(got, 0, expect.length, expect, 0, expect.length);
                        result.complete(ok ? ProbeResult.SUCCESS
                                : ProbeResult.failure(Kind.BAD_RESPONSE, "reply does not start with '" + config.expect() + "'"));
                    } finally {
                        ReferenceCountUtil.release(msg);
                    }
                }

                @Override
                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                    result.complete(classify(cause));
                }
            });
            armTimeout(result, ch, loop, config.timeout().toMillis());
            loop.register(ch).addListener((ChannelFuture reg) -> {
                if (!reg.isSuccess()) {
                    result.complete(classify(reg.cause()));
                    return;
                }
                ch.connect(address).addListener((ChannelFuture c) -> {
                    if (!c.isSuccess()) {
                        result.complete(classify(c.cause()));
                        return;
                    }
                    ch.writeAndFlush(Unpooled.wrappedBuffer(config.send().bytes())).addListener((ChannelFuture w) -> {
                        if (!w.isSuccess()) {
                            result.complete(classify(w.cause()));
                        }
                    });
                });
            });
            return result;
        }
    }
}
