package io.wavelb.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wavelb.config.ConfigLoader;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.testing.EchoServer;
import io.wavelb.core.testing.Ports;
import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Per-client limits on loopback: one client address opening many UDP sessions (source ports) and
 * TCP connections gets its limit and no more, counted as {@code client_limit}, while a second
 * client address is served as before; a flow that ends gives its room back.
 */
@Timeout(60)
class ClientLimitsSystemTest {

    private static final InetAddress GREEDY = addr("127.0.0.2");
    private static final InetAddress OTHER = addr("127.0.0.3");

    private static InetAddress addr(String a) {
        try {
            return InetAddress.getByName(a);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static LoadBalancer start(EchoServer echo) throws Exception {
        return LoadBalancer.start(ConfigLoader.parse("""
                runtime:
                  event_loops: 2
                admin:
                  listen: 127.0.0.1:%d
                listeners:
                  - name: edge
                    protocol: tcp_udp
                    listen: 127.0.0.1:%d
                    target_group: g
                    udp:
                      max_sessions_per_client: 5
                    tcp:
                      max_connections_per_client: 3
                target_groups:
                  - name: g
                    targets:
                      - address: %s
                """.formatted(Ports.freeTcpAndUdp(), Ports.freeTcpAndUdp(), echo.address()), "limits.yaml"));
    }

    /** A datagram from {@code from} (a new source port each socket); whether the target's echo came back. */
    private static boolean answered(DatagramSocket s, InetSocketAddress vip, String payload) throws IOException {
        byte[] out = payload.getBytes(StandardCharsets.UTF_8);
        s.send(new DatagramPacket(out, out.length, vip));
        s.setSoTimeout(1000);
        DatagramPacket p = new DatagramPacket(new byte[2048], 2048);
        try {
            s.receive(p);
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    @Test
    void oneClientGetsItsUdpSessionsAndNoMoreWhileAnotherIsServed() throws Exception {
        try (EchoServer echo = EchoServer.start("e"); LoadBalancer lb = start(echo)) {
            InetSocketAddress vip = lb.address("edge");
            List<DatagramSocket> greedy = new ArrayList<>();
            try {
                int served = 0;
                for (int i = 0; i < 20; i++) {
                    DatagramSocket s = new DatagramSocket(new InetSocketAddress(GREEDY, 0));
                    greedy.add(s);
                    if (answered(s, vip, "g" + i)) {
                        served++;
                    }
                }
                assertThat(served).as("sessions of one client address").isEqualTo(5);
                assertThat(lb.stats("edge").total(ListenerCounter.DROPPED_CLIENT_LIMIT)).isEqualTo(15);
                assertThat(answered(greedy.getFirst(), vip, "again")).as("its open sessions go on").isTrue();
                try (DatagramSocket other = new DatagramSocket(new InetSocketAddress(OTHER, 0))) {
                    assertThat(answered(other, vip, "o")).as("another client").isTrue();
                }
            } finally {
                greedy.forEach(DatagramSocket::close);
            }
        }
    }

    @Test
    void newFlowsPerClientCapsHowFastOneClientOpensFlows() throws Exception {
        try (EchoServer echo = EchoServer.start("e"); LoadBalancer lb = LoadBalancer.start(ConfigLoader.parse("""
                runtime:
                  event_loops: 2
                admin:
                  listen: 127.0.0.1:%d
                listeners:
                  - name: edge
                    protocol: udp
                    listen: 127.0.0.1:%d
                    target_group: g
                    new_flows_per_client:
                      rate: 1
                      burst: 4
                target_groups:
                  - name: g
                    targets:
                      - address: %s
                """.formatted(Ports.freeTcpAndUdp(), Ports.freeTcpAndUdp(), echo.address()), "rate.yaml"))) {
            InetSocketAddress vip = lb.address("edge");
            List<DatagramSocket> flows = new ArrayList<>();
            try {
                int served = 0;
                for (int i = 0; i < 12; i++) {
                    DatagramSocket s = new DatagramSocket(new InetSocketAddress(GREEDY, 0));
                    flows.add(s);
                    if (answered(s, vip, "r" + i)) {
                        served++;
                    }
                }
                // The burst, plus at most what 1/s refills while the 12 tries run (each waits up to 1 s).
                assertThat(served).as("new flows of one client").isBetween(4, 4 + 8);
                assertThat(served).as("a refused flow waits out its 1 s; some are refused").isLessThan(12);
                assertThat(lb.stats("edge").total(ListenerCounter.DROPPED_CLIENT_LIMIT)).isEqualTo(12 - served);
                try (DatagramSocket other = new DatagramSocket(new InetSocketAddress(OTHER, 0))) {
                    assertThat(answered(other, vip, "o")).as("another client").isTrue();
                }
            } finally {
                flows.forEach(DatagramSocket::close);
            }
        }
    }

    @Test
    void oneClientGetsItsTcpConnectionsAndRoomBackWhenOneCloses() throws Exception {
        try (EchoServer echo = EchoServer.start("e"); LoadBalancer lb = start(echo)) {
            InetSocketAddress vip = lb.address("edge");
            List<Socket> greedy = new ArrayList<>();
            try {
                for (int i = 0; i < 6; i++) {
                    Socket s = new Socket();
                    s.bind(new InetSocketAddress(GREEDY, 0));
                    s.connect(vip, 2000);
                    s.setSoTimeout(2000);
                    greedy.add(s);
                }
                int echoed = 0;
                for (Socket s : greedy) {
                    if (echoes(s)) {
                        echoed++;
                    }
                }
                assertThat(echoed).as("connections of one client address that work").isEqualTo(3);
                assertThat(lb.stats("edge").total(ListenerCounter.DROPPED_CLIENT_LIMIT)).isEqualTo(3);
                try (Socket other = new Socket()) {
                    other.bind(new InetSocketAddress(OTHER, 0));
                    other.connect(vip, 2000);
                    other.setSoTimeout(2000);
                    assertThat(echoes(other)).as("another client").isTrue();
                }
                greedy.getFirst().close();
                await().atMost(Duration.ofSeconds(10)).until(() -> {
                    try (Socket again = new Socket()) {
                        again.bind(new InetSocketAddress(GREEDY, 0));
                        again.connect(vip, 2000);
                        again.setSoTimeout(2000);
                        return echoes(again);
                    }
                });
            } finally {
                for (Socket s : greedy) {
                    s.close();
                }
            }
        }
    }

    private static boolean echoes(Socket s) {
        try {
            s.getOutputStream().write("x\n".getBytes(StandardCharsets.UTF_8));
            InputStream in = s.getInputStream();
            return in.read() == 'x';
        } catch (IOException e) {
            return false;
        }
    }
}
