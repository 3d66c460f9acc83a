package io.wavelb.core.quic;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.quic.InsecureQuicTokenHandler;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicConnectionIdGenerator;
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.ReferenceCountUtil;
import io.wavelb.config.ConfigLoader;
import io.wavelb.config.HexBytes;
import io.wavelb.config.QuicLbConfig;
import io.wavelb.core.LoadBalancer;
import io.wavelb.core.balance.FlowHash;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.target.Target;
import io.wavelb.core.target.TargetGroup;
import io.wavelb.core.testing.Ports;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real QUIC (Netty's codec on quiche) through the balancer: three echo servers mint QUIC-LB
 * connection IDs carrying their server IDs; a client streams through a relay that, halfway, moves
 * to a new source port (NAT rebinding) chosen so the 5-tuple hash names another server. With
 * {@code affinity: quic} the stream completes on its server; with {@code five_tuple} it breaks.
 */
class QuicMigrationSystemTest {

    private static final String KEY = "4d2a7f1c9e8b3a6d5f0e1c2b3a4d5e6f";
    private static final QuicLbConfig LB_CONFIG = new QuicLbConfig(0, 2, 6, Optional.of(new HexBytes(KEY)));
    private static final int CHUNKS = 120;
    private static final int CHUNK = 1000;
    private static final String ALPN = QuicTestPeers.ALPN;

    private static PrivateKey key;
    private static X509Certificate certificate;

    private EventLoopGroup group;
    private final List<Channel> servers = new ArrayList<>();
    private final List<AtomicLong> serverBytes = new ArrayList<>();
    private LoadBalancer lb;
    private Relay relay;

    @BeforeAll
    static void certificate(@TempDir Path dir) throws Exception {
        QuicTestPeers.Identity id = QuicTestPeers.selfSigned(dir);
        key = id.key();
        certificate = id.certificate();
    }

    @BeforeEach
    void startServers() throws Exception {
        group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        QuicSslContext ssl = QuicSslContextBuilder.forServer(key, null, certificate).applicationProtocols(ALPN).build();
        for (int i = 1; i <= 3; i++) {
            AtomicLong bytes = new AtomicLong();
            serverBytes.add(bytes);
            ChannelHandler codec = new QuicServerCodecBuilder()
                    .sslContext(ssl)
                    .maxIdleTimeout(10, TimeUnit.SECONDS)
                    .initialMaxData(10_000_000)
                    .initialMaxStreamDataBidirectionalRemote(1_000_000)
                    .initialMaxStreamDataBidirectionalLocal(1_000_000)
                    .initialMaxStreamsBidirectional(10)
                    .localConnectionIdLength(LB_CONFIG.connectionIdLength())
                    .connectionIdAddressGenerator(new QuicLbIds(new byte[] {0, (byte) i}))
                    .tokenHandler(InsecureQuicTokenHandler.INSTANCE)
                    .handler(new ChannelInboundHandlerAdapter())
                    .streamHandler(new QuicTestPeers.Echo(bytes))
                    .build();
            servers.add(new Bootstrap().group(group).channel(NioDatagramChannel.class).handler(codec)
                    .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel());
        }
    }

    @AfterEach
    void stop() throws Exception {
        if (relay != null) {
            relay.close();
        }
        if (lb != null) {
            lb.close();
        }
        for (Channel s : servers) {
            s.close().sync();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    /** A target's connection IDs: QUIC-LB with its server ID, fresh random nonce each. */
    private static final class QuicLbIds implements QuicConnectionIdGenerator {
        private final byte[] serverId;
        private final QuicLbCodec codec = new QuicLbCodec(LB_CONFIG);
        private final SecureRandom random = new SecureRandom();

        QuicLbIds(byte[] serverId) {
            this.serverId = serverId;
        }

        @Override
        public synchronized ByteBuffer newId(int length) {
            byte[] nonce = new byte[LB_CONFIG.nonceLength()];
            random.nextBytes(nonce);
            return ByteBuffer.wrap(codec.encode(serverId, nonce));
        }

        @Override
        public ByteBuffer newId(ByteBuffer input, int length) {
            return newId(length);
        }

        @Override
        public int maxConnectionIdLength() {
            return LB_CONFIG.connectionIdLength();
        }

        @Override
        public boolean isIdempotent() {
            return false;
        }
    }

    private void startBalancer(String affinity) throws Exception {
        String quicLb = affinity.equals("quic") ? """
                      quic_lb:
                        server_id_length: 2
                        nonce_length: 6
                        key: %s
                """.formatted(KEY) : "";
        StringBuilder targets = new StringBuilder();
        for (int i = 0; i < servers.size(); i++) {
            InetSocketAddress a = (InetSocketAddress) servers.get(i).localAddress();
            targets.append("      - address: 127.0.0.1:").append(a.getPort()).append("\n        server_id: \"0x000")
                    .append(i + 1).append("\"\n");
        }
        lb = LoadBalancer.start(ConfigLoader.parse("""
                runtime:
                  event_loops: 2
                admin:
                  listen: 127.0.0.1:%d
                listeners:
                  - name: quic
                    protocol: udp
                    listen: 127.0.0.1:%d
                    target_group: g
                    udp:
                      affinity: %s
                %starget_groups:
                  - name: g
                    targets:
                %s""".formatted(Ports.freeTcpAndUdp(), Ports.freeTcpAndUdp(), affinity, quicLb, targets), "quic.yaml"));
    }

    /**
     * A NAT in front of the client: one upstream socket to the balancer, replaced on {@link #rebind}
     * by one on a new port, after which replies to the old port are lost as a real NAT loses them.
     */
    private final class Relay implements AutoCloseable {
        final DatagramSocket front = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        final AtomicReference<DatagramSocket> upstream = new AtomicReference<>();
        final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        volatile InetSocketAddress client;
        final InetSocketAddress to;

        Relay(InetSocketAddress to) throws IOException {
            this.to = to;
            use(new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
            threads.submit(() -> pump(front, true));
        }

        private void use(DatagramSocket s) {
            upstream.set(s);
            threads.submit(() -> pump(s, false));
        }

        private Void pump(DatagramSocket from, boolean clientSide) {
            byte[] buf = new byte[65536];
            while (!from.isClosed()) {
                try {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    from.receive(p);
                    if (clientSide) {
                        client = (InetSocketAddress) p.getSocketAddress();
                        upstream.get().send(new DatagramPacket(buf, p.getLength(), to));
                    } else if (from == upstream.get() && client != null) {
                        front.send(new DatagramPacket(buf, p.getLength(), client));
                    }
                } catch (IOException closed) {
                    return null;
                }
            }
            return null;
        }

        /** Moves to a new source port whose 5-tuple hash names another target than the current one. */
        void rebind(TargetGroup targets) throws IOException {
            DatagramSocket old = upstream.get();
            Target before = pick(targets, old.getLocalPort());
            for (int attempt = 0; attempt < 200; attempt++) {
                DatagramSocket next = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                if (pick(targets, next.getLocalPort()) != before) {
                    use(next);
                    old.close();
                    return;
                }
                next.close();
            }
            throw new IllegalStateException("no port hashing to another target in 200 tries");
        }

        private Target pick(TargetGroup targets, int port) {
            return targets.peek(FlowHash.fiveTuple(FlowHash.UDP, InetAddress.getLoopbackAddress(), port,
                    to.getAddress(), to.getPort()));
        }

        InetSocketAddress address() {
            return (InetSocketAddress) front.getLocalSocketAddress();
        }

        @Override
        public void close() {
            front.close();
            upstream.get().close();
            threads.shutdownNow();
        }
    }

    /**
     * Streams {@link #CHUNKS} chunks, rebinding the relay halfway; returns the bytes echoed back
     * within the deadline.
     */
    private long streamAcrossRebinding() throws Exception {
        relay = new Relay(lb.address("quic"));
        QuicSslContext ssl = QuicSslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE)
                .applicationProtocols(ALPN).build();
        ChannelHandler codec = new QuicClientCodecBuilder().sslContext(ssl)
                .maxIdleTimeout(4, TimeUnit.SECONDS)
                .initialMaxData(10_000_000)
                .initialMaxStreamDataBidirectionalLocal(1_000_000)
                .build();
        Channel udp = new Bootstrap().group(group).channel(NioDatagramChannel.class).handler(codec)
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
        try {
            QuicChannel quic = QuicChannel.newBootstrap(udp).handler(new ChannelInboundHandlerAdapter())
                    .streamHandler(new ChannelInboundHandlerAdapter()).remoteAddress(relay.address())
                    .connect().get(10, TimeUnit.SECONDS);
            AtomicLong echoed = new AtomicLong();
            QuicStreamChannel stream = quic.createStream(QuicStreamType.BIDIRECTIONAL, new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    echoed.addAndGet(((ByteBuf) msg).readableBytes());
                    ReferenceCountUtil.release(msg);
                }
            }).get(10, TimeUnit.SECONDS);
            for (int i = 0; i < CHUNKS; i++) {
                if (i == CHUNKS / 2) {
                    relay.rebind(lb.targetGroups().get("g"));
                }
                ByteBuf chunk = stream.alloc().buffer(CHUNK).writeZero(CHUNK);
                stream.writeAndFlush(chunk);
                Thread.sleep(10);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(6);
            while (echoed.get() < (long) CHUNKS * CHUNK && System.nanoTime() < deadline && quic.isActive()) {
                Thread.sleep(20);
            }
            quic.close();
            return echoed.get();
        } finally {
            udp.close().sync();
        }
    }

    private int serversThatSawData() {
        return (int) serverBytes.stream().filter(b -> b.get() > 0).count();
    }

    @Test
    void withQuicAffinityTheStreamSurvivesNatRebindingOnItsServer() throws Exception {
        startBalancer("quic");
        long echoed = streamAcrossRebinding();
        assertThat(echoed).as("bytes echoed back").isEqualTo((long) CHUNKS * CHUNK);
        assertThat(serversThatSawData()).as("servers that received stream data").isEqualTo(1);
        assertThat(lb.stats("quic").total(ListenerCounter.QUIC_CID)).isPositive();
    }

    @Test
    void withFiveTupleAffinityTheSameRebindingBreaksTheStream() throws Exception {
        startBalancer("five_tuple");
        long echoed = streamAcrossRebinding();
        assertThat(echoed).as("bytes echoed back").isLessThan((long) CHUNKS * CHUNK);
    }
}
