package io.wavelb.core.demo;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.wavelb.core.transport.Transport;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Echo servers for the demo: each answers on TCP and UDP, on one port, with its own name in front
 * of what it received ({@code target-2 hello}), so a person can see which target a flow reached.
 */
public final class EchoTargets implements AutoCloseable {

    /** A named echo target and the address it answers on. */
    public record EchoTarget(String name, InetSocketAddress address) {
    }

    private final EventLoopGroup loops;
    private final List<Channel> channels = new ArrayList<>();
    private final List<EchoTarget> targets = new ArrayList<>();

    private EchoTargets(EventLoopGroup loops) {
        this.loops = loops;
    }

    /** Starts {@code count} targets on {@code host}, on free ports, each on TCP and UDP. */
    public static EchoTargets start(Transport transport, String host, int count) throws InterruptedException {
        EchoTargets echo = new EchoTargets(transport.newEventLoopGroup(1));
        try {
            for (int i = 1; i <= count; i++) {
                echo.startOne(transport, "target-" + i, host);
            }
        } catch (RuntimeException | InterruptedException e) {
            echo.close();
            throw e;
        }
        return echo;
    }

    private void startOne(Transport transport, String name, String host) throws InterruptedException {
        byte[] prefix = (name + " ").getBytes(StandardCharsets.UTF_8);
        Channel tcp = new ServerBootstrap()
                .group(loops)
                .channel(transport.serverSocketChannelClass())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new LineBasedFrameDecoder(64 * 1024, false, false),
                                new SimpleChannelInboundHandler<ByteBuf>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf line) {
                                        ByteBuf out = ctx.alloc().buffer(prefix.length + line.readableBytes());
                                        out.writeBytes(prefix).writeBytes(line);
                                        ctx.writeAndFlush(out);
                                    }
                                });
                    }
                })
                .bind(host, 0).sync().channel();
        channels.add(tcp);
        int port = ((InetSocketAddress) tcp.localAddress()).getPort();
        Channel udp = new Bootstrap()
                .group(loops)
                .channelFactory(transport::newDatagramChannel)
                .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                        ByteBuf out = ctx.alloc().buffer(prefix.length + packet.content().readableBytes());
                        out.writeBytes(prefix).writeBytes(packet.content());
                        ctx.writeAndFlush(new DatagramPacket(out, packet.sender()));
                    }
                })
                .bind(host, port).sync().channel();
        channels.add(udp);
        targets.add(new EchoTarget(name, new InetSocketAddress(host, port)));
    }

    public List<EchoTarget> targets() {
        return List.copyOf(targets);
    }

    @Override
    public void close() {
        for (Channel c : channels) {
            c.close().awaitUninterruptibly();
        }
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }
}
