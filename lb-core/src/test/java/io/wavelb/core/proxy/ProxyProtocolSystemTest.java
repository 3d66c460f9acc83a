package io.wavelb.core.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.wavelb.config.ConfigLoader;
import io.wavelb.core.LoadBalancer;
import io.wavelb.core.testing.Ports;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The client's address reaches the target in a PROXY header, checked with Netty's HAProxy decoder
 * (an independent parser of the protocol), over real TCP and UDP sockets through the balancer.
 */
class ProxyProtocolSystemTest {

    private LoadBalancer lb;

    @AfterEach
    void stop() {
        if (lb != null) {
            lb.close();
        }
    }

    private LoadBalancer start(String protocol, String proxy, int targetPort) throws Exception {
        return LoadBalancer.start(ConfigLoader.parse("""
                admin:
                  listen: 127.0.0.1:%d
                listeners:
                  - name: l
                    protocol: %s
                    listen: 127.0.0.1:%d
                    target_group: g
                    proxy_protocol: %s
                target_groups:
                  - name: g
                    targets:
                      - address: 127.0.0.1:%d
                """.formatted(Ports.freeTcpAndUdp(), protocol, Ports.freeTcpAndUdp(), proxy, targetPort), "proxy.yaml"));
    }

    /** Decodes one PROXY header at the start of {@code bytes}; returns it and leaves the rest in {@code rest}. */
    private static HAProxyMessage decode(byte[] bytes, ByteBuf[] rest) {
        EmbeddedChannel ch = new EmbeddedChannel(new HAProxyMessageDecoder());
        ch.writeInbound(Unpooled.wrappedBuffer(bytes));
        HAProxyMessage m = ch.readInbound();
        ByteBuf after = ch.readInbound();
        rest[0] = after == null ? Unpooled.EMPTY_BUFFER : after;
        ch.finishAndReleaseAll();
        return m;
    }

    @ParameterizedTest
    @ValueSource(strings = {"v1", "v2"})
    void tcpTargetsLearnTheClientAddressBeforeItsFirstByte(String version) throws Exception {
        try (ServerSocket target = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            lb = start("tcp", version, target.getLocalPort());
            CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() -> {
                try (Socket s = target.accept(); InputStream in = s.getInputStream()) {
                    s.setSoTimeout(5000);
                    return in.readAllBytes();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            InetSocketAddress clientAddress;
            try (Socket client = new Socket()) {
                client.connect(lb.address("l"), 5000);
                clientAddress = (InetSocketAddress) client.getLocalSocketAddress();
                OutputStream out = client.getOutputStream();
                out.write("hello over tcp".getBytes(StandardCharsets.US_ASCII));
                client.shutdownOutput();
                byte[] bytes = received.get(10, TimeUnit.SECONDS);
                ByteBuf[] rest = new ByteBuf[1];
                HAProxyMessage m = decode(bytes, rest);
                try {
                    assertThat(m.protocolVersion()).isEqualTo(version.equals("v1") ? HAProxyProtocolVersion.V1 : HAProxyProtocolVersion.V2);
                    assertThat(m.command()).isEqualTo(HAProxyCommand.PROXY);
                    assertThat(m.proxiedProtocol()).isEqualTo(HAProxyProxiedProtocol.TCP4);
                    assertThat(m.sourceAddress()).isEqualTo("127.0.0.1");
                    assertThat(m.sourcePort()).isEqualTo(clientAddress.getPort());
                    assertThat(m.destinationAddress()).isEqualTo("127.0.0.1");
                    assertThat(m.destinationPort()).isEqualTo(lb.address("l").getPort());
                    assertThat(rest[0].toString(StandardCharsets.US_ASCII)).isEqualTo("hello over tcp");
                } finally {
                    m.release();
                    rest[0].release();
                }
            }
        }
    }

    @Test
    void everyUdpDatagramCarriesAV2DgramHeader() throws Exception {
        try (DatagramSocket target = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            target.setSoTimeout(5000);
            lb = start("udp", "v2", target.getLocalPort());
            for (int i = 0; i < 3; i++) {
                byte[] payload = ("datagram " + i).getBytes(StandardCharsets.US_ASCII);
                client.send(new DatagramPacket(payload, payload.length, lb.address("l")));
                byte[] in = new byte[2048];
                DatagramPacket p = new DatagramPacket(in, in.length);
                target.receive(p);
                ByteBuf[] rest = new ByteBuf[1];
                HAProxyMessage m = decode(Arrays.copyOf(in, p.getLength()), rest);
                try {
                    assertThat(m.protocolVersion()).isEqualTo(HAProxyProtocolVersion.V2);
                    assertThat(m.proxiedProtocol()).isEqualTo(HAProxyProxiedProtocol.UDP4);
                    assertThat(m.sourcePort()).isEqualTo(client.getLocalPort());
                    assertThat(m.sourceAddress()).isEqualTo("127.0.0.1");
                    assertThat(m.destinationPort()).isEqualTo(lb.address("l").getPort());
                    assertThat(rest[0].toString(StandardCharsets.US_ASCII)).isEqualTo("datagram " + i);
                } finally {
                    m.release();
                    rest[0].release();
                }
                // The reply path is unchanged: the target answers plain datagrams.
                byte[] reply = ("reply " + i).getBytes(StandardCharsets.US_ASCII);
                target.send(new DatagramPacket(reply, reply.length, p.getSocketAddress()));
                DatagramPacket back = new DatagramPacket(new byte[64], 64);
                client.setSoTimeout(5000);
                client.receive(back);
                assertThat(new String(back.getData(), 0, back.getLength(), StandardCharsets.US_ASCII)).isEqualTo("reply " + i);
            }
        }
    }

    @Test
    void v2HeadersForIpv6AndMixedFamiliesUseTheSixteenByteForm() {
        byte[] h = ProxyHeaders.v2(new InetSocketAddress("127.0.0.1", 40000), new InetSocketAddress("::1", 443), true);
        ByteBuf[] rest = new ByteBuf[1];
        HAProxyMessage m = decode(h, rest);
        try {
            assertThat(m.proxiedProtocol()).isEqualTo(HAProxyProxiedProtocol.UDP6);
            assertThat(m.sourceAddress()).isEqualTo("0:0:0:0:0:ffff:7f00:1");
            assertThat(m.destinationAddress()).isEqualTo("0:0:0:0:0:0:0:1");
            assertThat(m.sourcePort()).isEqualTo(40000);
        } finally {
            m.release();
            rest[0].release();
        }
        String v1 = new String(ProxyHeaders.v1(new InetSocketAddress("127.0.0.1", 40000), new InetSocketAddress("::1", 443)),
                StandardCharsets.US_ASCII);
        assertThat(v1).isEqualTo("PROXY TCP6 0:0:0:0:0:ffff:7f00:1 0:0:0:0:0:0:0:1 40000 443\r\n");
        HAProxyMessage m1 = decode(v1.getBytes(StandardCharsets.US_ASCII), rest);
        assertThat(m1.sourcePort()).isEqualTo(40000);
        m1.release();
        rest[0].release();
    }
}
