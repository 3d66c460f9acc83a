package io.wavelb.core.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import io.wavelb.config.Algorithm;
import io.wavelb.config.Protocol;
import io.wavelb.config.TcpSettings;
import io.wavelb.config.Transport;
import io.wavelb.config.UdpSettings;
import io.wavelb.core.LoadBalancer;
import io.wavelb.core.testing.EchoServer;
import io.wavelb.core.testing.TestConfigs;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The same UDP and TCP traffic through every transport wavelb can run on. */
@Timeout(60)
class TransportsSystemTest {

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"EPOLL", "IO_URING", "NIO"})
    void udpAndTcpFlowsWorkOnEveryTransport(Transport transport) throws Exception {
        assumeTrue(transport != Transport.EPOLL || Epoll.isAvailable(), "epoll not available here");
        assumeTrue(transport != Transport.IO_URING || IoUring.isAvailable(), "io_uring not available here");
        try (EchoServer a = EchoServer.start("a"); EchoServer b = EchoServer.start("b");
             LoadBalancer lb = LoadBalancer.start(TestConfigs.single(Protocol.TCP_UDP, Algorithm.MAGLEV,
                     UdpSettings.DEFAULTS, TcpSettings.DEFAULTS, List.of(a.address(), b.address()), "127.0.0.1",
                     transport))) {
            assertThat(lb.transportName()).isEqualTo(transport.yamlName());
            InetSocketAddress vip = lb.address("test");
            Set<String> targetsUsed = new HashSet<>();
            List<DatagramSocket> clients = new ArrayList<>();
            try {
                for (int flow = 0; flow < 40; flow++) {
                    DatagramSocket c = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                    clients.add(c);
                    c.setSoTimeout(2000);
                    String first = null;
                    for (int d = 0; d < 3; d++) {
                        byte[] out = ("f" + flow + "d" + d).getBytes(StandardCharsets.UTF_8);
                        c.send(new DatagramPacket(out, out.length, vip));
                        DatagramPacket reply = new DatagramPacket(new byte[100], 100);
                        c.receive(reply);
                        String text = new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8);
                        assertThat(text).endsWith("|f" + flow + "d" + d);
                        String target = text.substring(0, text.indexOf('|'));
                        if (first == null) {
                            first = target;
                        }
                        assertThat(target).isEqualTo(first);
                    }
                    targetsUsed.add(first);
                }
            } finally {
                clients.forEach(DatagramSocket::close);
            }
            assertThat(targetsUsed).containsExactlyInAnyOrder("a", "b");
            for (int i = 0; i < 10; i++) {
                byte[] data = new byte[16 * 1024];
                new Random(i).nextBytes(data);
                try (Socket s = new Socket()) {
                    s.connect(vip, 5000);
                    s.setSoTimeout(10_000);
                    s.getOutputStream().write(data);
                    s.shutdownOutput();
                    InputStream in = s.getInputStream();
                    assertThat(Arrays.equals(in.readAllBytes(), data)).isTrue();
                }
            }
        }
    }
}
