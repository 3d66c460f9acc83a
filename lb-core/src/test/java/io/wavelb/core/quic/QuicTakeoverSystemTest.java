package io.wavelb.core.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.quic.InsecureQuicTokenHandler;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.ReferenceCountUtil;
import io.wavelb.core.testing.Ports;
import io.wavelb.core.testing.WavelbProcess;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A QUIC stream (Netty's codec on quiche) to a server that does not mint QUIC-LB connection IDs,
 * through a wavelb process that is taken over halfway: the balancer can route it only by its
 * 5-tuple, so it survives only if the session keeps its upstream socket. Every byte comes back, on
 * the one connection the server accepted.
 */
@Timeout(120)
class QuicTakeoverSystemTest {

    private static final int CHUNKS = 300;
    private static final int CHUNK = 1000;
    private static final String ALPN = QuicTestPeers.ALPN;

    @TempDir
    Path dir;

    @Test
    void aStreamToAServerWithoutQuicLbIdsSurvivesATakeover() throws Exception {
        QuicTestPeers.Identity id = QuicTestPeers.selfSigned(dir);
        PrivateKey key = id.key();
        X509Certificate certificate = id.certificate();

        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        List<WavelbProcess> processes = new ArrayList<>();
        AtomicInteger connections = new AtomicInteger();
        AtomicLong serverBytes = new AtomicLong();
        try {
            QuicSslContext serverSsl = QuicSslContextBuilder.forServer(key, null, certificate).applicationProtocols(ALPN).build();
            ChannelHandler serverCodec = new QuicServerCodecBuilder()
                    .sslContext(serverSsl)
                    .maxIdleTimeout(20, TimeUnit.SECONDS)
                    .initialMaxData(10_000_000)
                    .initialMaxStreamDataBidirectionalRemote(1_000_000)
                    .initialMaxStreamDataBidirectionalLocal(1_000_000)
                    .initialMaxStreamsBidirectional(10)
                    .tokenHandler(InsecureQuicTokenHandler.INSTANCE)
                    .handler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelActive(ChannelHandlerContext ctx) {
                            connections.incrementAndGet();
                            ctx.fireChannelActive();
                        }

                        @Override
                        public boolean isSharable() {
                            return true;
                        }
                    })
                    .streamHandler(new QuicTestPeers.Echo(serverBytes))
                    .build();
            Channel server = new Bootstrap().group(group).channel(NioDatagramChannel.class).handler(serverCodec)
                    .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
            int serverPort = ((InetSocketAddress) server.localAddress()).getPort();
            int port = Ports.freeTcpAndUdp();
            int admin = Ports.freeTcpAndUdp();
            String yaml = """
                    admin:
                      listen: 127.0.0.1:%d
                    runtime:
                      event_loops: 2
                      state_dir: %s
                      shutdown_grace_period: 5s
                    listeners:
                      - name: quic
                        protocol: udp
                        listen: 127.0.0.1:%d
                        target_group: g
                    target_groups:
                      - name: g
                        targets:
                          - address: 127.0.0.1:%d
                    """.formatted(admin, dir.resolve("state"), port, serverPort);
            WavelbProcess first = WavelbProcess.start(Files.createDirectories(dir.resolve("gen0")), WavelbProcess.Spec.of(yaml, admin));
            processes.add(first);
            await().atMost(Duration.ofSeconds(30)).until(() -> first.log().contains("takeover: listening on"));

            QuicSslContext clientSsl = QuicSslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE)
                    .applicationProtocols(ALPN).build();
            ChannelHandler clientCodec = new QuicClientCodecBuilder().sslContext(clientSsl)
                    .maxIdleTimeout(20, TimeUnit.SECONDS)
                    .initialMaxData(10_000_000)
                    .initialMaxStreamDataBidirectionalLocal(1_000_000)
                    .build();
            Channel udp = new Bootstrap().group(group).channel(NioDatagramChannel.class).handler(clientCodec)
                    .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
            try {
                QuicChannel quic = QuicChannel.newBootstrap(udp).handler(new ChannelInboundHandlerAdapter())
                        .streamHandler(new ChannelInboundHandlerAdapter())
                        .remoteAddress(new InetSocketAddress("127.0.0.1", port)).connect().get(10, TimeUnit.SECONDS);
                AtomicLong echoed = new AtomicLong();
                QuicStreamChannel stream = quic.createStream(QuicStreamType.BIDIRECTIONAL, new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        echoed.addAndGet(((ByteBuf) msg).readableBytes());
                        ReferenceCountUtil.release(msg);
                    }
                }).get(10, TimeUnit.SECONDS);
                WavelbProcess next = null;
                for (int i = 0; i < CHUNKS; i++) {
                    if (i == CHUNKS / 3) {
                        next = WavelbProcess.launch(Files.createDirectories(dir.resolve("gen1")),
                                WavelbProcess.Spec.of(yaml, admin).args("--takeover"));
                        processes.add(next);
                    }
                    stream.writeAndFlush(stream.alloc().buffer(CHUNK).writeZero(CHUNK));
                    Thread.sleep(20);
                }
                WavelbProcess taker = next;
                await().atMost(Duration.ofSeconds(60)).until(() -> taker.log().contains("takeover: complete") || !taker.isAlive());
                assertThat(taker.log()).contains("takeover: 1 of 1 UDP session(s) taken");
                assertThat(first.log()).contains("takeover: handed over to pid " + taker.pid());
                await().atMost(Duration.ofSeconds(20)).until(() -> echoed.get() >= (long) CHUNKS * CHUNK || !quic.isActive());
                assertThat(echoed.get()).as("bytes echoed back across the takeover").isEqualTo((long) CHUNKS * CHUNK);
                assertThat(quic.isActive()).isTrue();
                assertThat(connections.get()).as("QUIC connections the server accepted").isEqualTo(1);
                quic.close().sync();
            } finally {
                udp.close().sync();
                server.close().sync();
            }
        } finally {
            for (WavelbProcess p : processes) {
                p.close();
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
