package io.wavelb.core.peers;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.config.Algorithm;
import io.wavelb.config.Protocol;
import io.wavelb.config.TcpSettings;
import io.wavelb.config.UdpSettings;
import io.wavelb.core.LoadBalancer;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.stats.ListenerStats;
import io.wavelb.core.testing.Ports;
import io.wavelb.core.testing.TestConfigs;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * iperf3 client → wavelb → iperf3 server, TCP and UDP, on loopback.
 *
 * <p>iperf3 keeps a TCP control connection to the server for the whole test and, for UDP, sends
 * its datagrams to the same port, so the listener is {@code tcp_udp}. The group has one target:
 * iperf3 ties the data connections ({@code -P 4}) and the UDP stream to the control connection by
 * a cookie only the server that issued it knows, while wavelb balances each TCP connection and
 * each UDP flow on its own 4-tuple — with two servers, a data connection could land on the server
 * that never saw the control connection and the test would end with "the client has unexpectedly
 * closed the connection". A real deployment of iperf3 behind an L4 balancer has the same limit.
 */
@Tag("peers")
@Timeout(60)
class IperfPeerTest {

    private static final String SECONDS = "3";
    /**
     * iperf3's UDP default is the path MTU (64 KiB on loopback), which wavelb drops as over
     * max_datagram_size (9216). 8000 bytes keeps 50 Mbit/s at ~780 datagrams/s. This test is about
     * iperf3 working through wavelb, not about packet rate (benchmarks/ measures that): at 1200 bytes
     * (5.2 kpps) this shared 2-vCPU machine lost 0-13 % per run in the listener socket's receive queue
     * (kernel default 208 KiB, ~90 such datagrams, ~17 ms of stall at that rate) while other
     * builds ran, with Netty's paranoid leak detection making every datagram dearer.
     */
    private static final String UDP_PAYLOAD_BYTES = "8000";

    @TempDir
    Path dir;
    private final List<Peer> peers = new ArrayList<>();
    private LoadBalancer lb;
    private String iperf3;

    @BeforeEach
    void requireTool() {
        iperf3 = Peer.require("iperf3", "iperf3");
    }

    @AfterEach
    void stopAll() {
        peers.forEach(Peer::close);
        if (lb != null) {
            lb.close();
        }
    }

    /** Result of one client run: its JSON report and the balancer listener's counters afterwards. */
    private record Run(JsonTree report, ListenerStats stats) {
        /** The listener's non-zero counters, for failure messages. */
        String counters() {
            return Arrays.stream(ListenerCounter.values()).filter(c -> stats.total(c) != 0)
                    .map(c -> c + "=" + stats.total(c)).collect(Collectors.joining(", "));
        }
    }

    /** Starts an iperf3 server and a balancer with it as the only target; returns the VIP. */
    private InetSocketAddress serverBehindBalancer() throws Exception {
        int serverPort = Ports.freeTcpAndUdp();
        peers.add(Peer.start(dir, "server",
                List.of(iperf3, "-s", "-B", "127.0.0.1", "-p", Integer.toString(serverPort))));
        KernelSockets.awaitTcpListening(serverPort, Duration.ofSeconds(10), "iperf3 server");
        lb = LoadBalancer.start(TestConfigs.single(Protocol.TCP_UDP, Algorithm.MAGLEV, UdpSettings.DEFAULTS,
                TcpSettings.DEFAULTS, List.of("127.0.0.1:" + serverPort)));
        return lb.address("test");
    }

    /** Runs one iperf3 client against {@code vip}; fails on a non-zero exit or an "error" in its report. */
    private Run client(String name, InetSocketAddress vip, String seconds, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(iperf3, "-c", "127.0.0.1", "-p", Integer.toString(vip.getPort()),
                "-t", seconds, "--json", "--connect-timeout", "3000"));
        command.addAll(List.of(args));
        Peer client = Peer.start(dir, name, command);
        peers.add(client);
        int exit = client.awaitExit(Duration.ofSeconds(Integer.parseInt(seconds) + 15L));
        JsonTree report = JsonTree.parse(client.stdout(), "iperf3 " + String.join(" ", args) + " report");
        assertThat(report.find("error")).as("iperf3 error; stderr: %s", client.stderr()).isNull();
        assertThat(exit).as("iperf3 client exit status").isZero();
        return new Run(report, lb.stats("test"));
    }

    private Run throughBalancer(String name, String... clientArgs) throws Exception {
        return client(name, serverBehindBalancer(), SECONDS, clientArgs);
    }

    @Test
    void oneTcpStreamReachesTheServerThroughTheBalancer() throws Exception {
        Run run = throughBalancer("tcp1");
        double received = run.report.number("end.sum_received.bytes");
        System.out.printf("iperf3 TCP -P 1 through wavelb: %.2f Gbit/s received (%.0f bytes)%n",
                run.report.number("end.sum_received.bits_per_second") / 1e9, received);
        assertThat(received).isPositive();
        // The control connection and the data connection both went through wavelb, and it relayed
        // at least the bytes the server counted (plus the control traffic).
        assertThat(run.stats.total(ListenerCounter.TCP_ACCEPTED)).isGreaterThanOrEqualTo(2);
        assertThat((double) run.stats.total(ListenerCounter.BYTES_RX)).isGreaterThanOrEqualTo(received);
    }

    @Test
    void fourParallelTcpStreamsEachCarryData() throws Exception {
        Run run = throughBalancer("tcp4", "-P", "4");
        List<?> streams = run.report.list("end.streams");
        assertThat(streams).hasSize(4);
        for (Object stream : streams) {
            assertThat(run.report.child(stream).number("receiver.bytes")).as("bytes of one of 4 streams").isPositive();
        }
        double received = run.report.number("end.sum_received.bytes");
        System.out.printf("iperf3 TCP -P 4 through wavelb: %.2f Gbit/s received%n",
                run.report.number("end.sum_received.bits_per_second") / 1e9);
        assertThat(run.stats.total(ListenerCounter.TCP_ACCEPTED)).as("control + 4 data connections").isGreaterThanOrEqualTo(5);
        assertThat((double) run.stats.total(ListenerCounter.BYTES_RX)).isGreaterThanOrEqualTo(received);
    }

    @Test
    void udpAtFiftyMegabitsPerSecondLosesUnderOnePercentOnceWarm() throws Exception {
        InetSocketAddress vip = serverBehindBalancer();
        String[] udp = {"-u", "-b", "50M", "-l", UDP_PAYLOAD_BYTES};
        // A fresh balancer in a JVM that has not yet run this path loses datagrams in its first second
        // or two (measured at 1200 B: 11 %, then 4 %, then 0 % per second; at 8000 B up to 1.4 % over
        // 2 s): the code is still interpreted or being compiled while the listener socket's default
        // receive buffer holds only tens of milliseconds. The bound below is for the warm path; the
        // warm-up run must succeed and is reported, not held to it.
        Run warmUp = client("udp-warm-up", vip, "2", udp);
        System.out.printf("iperf3 UDP warm-up (fresh balancer, 2 s): loss %.3f %%%n",
                warmUp.report.number("end.sum.lost_percent"));
        long datagramsBefore = warmUp.stats.total(ListenerCounter.DATAGRAMS_RX);
        Run run = client("udp", vip, SECONDS, udp);
        double sent = run.report.number("end.sum_sent.bytes");
        double received = run.report.number("end.sum_received.bytes");
        double lostPercent = run.report.number("end.sum.lost_percent");
        // iperf3 3.12's UDP packet counts are unreliable (sum_received.packets): packets are derived
        // from bytes and the fixed payload size.
        double receivedPackets = received / Double.parseDouble(UDP_PAYLOAD_BYTES);
        long relayed = run.stats.total(ListenerCounter.DATAGRAMS_RX) - datagramsBefore;
        System.out.printf("iperf3 UDP -b 50M -l " + UDP_PAYLOAD_BYTES + " through wavelb: %.1f Mbit/s received, loss %.3f %%, jitter %.3f ms; "
                        + "datagrams sent %.0f, read by wavelb %d, received by iperf3 %.0f%n",
                run.report.number("end.sum_received.bits_per_second") / 1e6, lostPercent,
                run.report.number("end.sum.jitter_ms"), sent / Double.parseDouble(UDP_PAYLOAD_BYTES), relayed, receivedPackets);
        assertThat(received).isPositive();
        assertThat(received / sent).as("received / sent bytes; wavelb counters %s", run.counters()).isGreaterThanOrEqualTo(0.99);
        assertThat(lostPercent).as("iperf3 lost_percent; wavelb counters %s", run.counters()).isLessThan(1.0);
        assertThat(run.stats.total(ListenerCounter.SESSIONS_CREATED)).as("UDP flows through wavelb (one per run)")
                .isGreaterThanOrEqualTo(2);
        assertThat((double) (run.stats.total(ListenerCounter.DATAGRAMS_RX) - datagramsBefore))
                .as("datagrams wavelb relayed in the measured run").isGreaterThanOrEqualTo(receivedPackets);
        assertThat(run.stats.total(ListenerCounter.DROPPED_OVERSIZE)).isZero();
    }
}
