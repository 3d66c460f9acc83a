package io.wavelb.core.peers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

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
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * sockperf ping-pong → wavelb → sockperf server, UDP and TCP, on loopback. Every message waits
 * for its echo, so each observation is one full round trip through the balancer in both directions;
 * sockperf itself counts drops, duplicates and reordering.
 */
@Tag("peers")
@Timeout(60)
class SockperfPeerTest {

    private static final int SECONDS = 3;
    private static final int MESSAGE_BYTES = 64;
    private static final Pattern ANSI = Pattern.compile("\u001B\\[[0-9;]*m");
    private static final Pattern VALID = Pattern.compile(
            "\\[Valid Duration] RunTime=([0-9.]+) sec; SentMessages=(\\d+); ReceivedMessages=(\\d+)");
    private static final Pattern ERRORS = Pattern.compile(
            "# dropped messages = (\\d+); # duplicated messages = (\\d+); # out-of-order messages = (\\d+)");

    @TempDir
    Path dir;
    private final List<Peer> peers = new ArrayList<>();
    private LoadBalancer lb;
    private String sockperf;

    @BeforeEach
    void requireTool() {
        sockperf = Peer.require("sockperf", "sockperf");
    }

    @AfterEach
    void stopAll() {
        peers.forEach(Peer::close);
        if (lb != null) {
            lb.close();
        }
    }

    /** What a ping-pong run reported for its valid window. */
    record PingPong(long sent, long received, long dropped, long duplicated, long outOfOrder,
                    double p50Micros, double p99Micros, double maxMicros) {

        static PingPong parse(String output) {
            String text = ANSI.matcher(output).replaceAll("");
            Matcher valid = find(VALID, text);
            Matcher errors = find(ERRORS, text);
            return new PingPong(Long.parseLong(valid.group(2)), Long.parseLong(valid.group(3)),
                    Long.parseLong(errors.group(1)), Long.parseLong(errors.group(2)), Long.parseLong(errors.group(3)),
                    micros(text, "percentile 50.000"), micros(text, "percentile 99.000"), micros(text, "<MAX> observation"));
        }

        private static Matcher find(Pattern p, String text) {
            Matcher m = p.matcher(text);
            if (!m.find()) {
                fail("sockperf output has no \"%s\":%n%s", p.pattern(), text);
            }
            return m;
        }

        private static double micros(String text, String label) {
            return Double.parseDouble(find(Pattern.compile(Pattern.quote(label) + " =\\s*([0-9.]+)"), text).group(1));
        }
    }

    private PingPong pingPong(Protocol listener, boolean tcp) throws Exception {
        int serverPort = Ports.freeTcpAndUdp();
        List<String> server = new ArrayList<>(List.of(sockperf, "server", "-i", "127.0.0.1", "-p", Integer.toString(serverPort)));
        List<String> client = new ArrayList<>(List.of(sockperf, "ping-pong", "-i", "127.0.0.1", "-t", Integer.toString(SECONDS),
                "-m", Integer.toString(MESSAGE_BYTES)));
        if (tcp) {
            server.add("--tcp");
            client.add("--tcp");
        }
        peers.add(Peer.start(dir, "server", server));
        if (tcp) {
            KernelSockets.awaitTcpListening(serverPort, Duration.ofSeconds(10), "sockperf server");
        } else {
            KernelSockets.awaitUdpBound(serverPort, Duration.ofSeconds(10), "sockperf server");
        }
        lb = LoadBalancer.start(TestConfigs.single(listener, Algorithm.MAGLEV, UdpSettings.DEFAULTS, TcpSettings.DEFAULTS,
                List.of("127.0.0.1:" + serverPort)));
        InetSocketAddress vip = lb.address("test");
        client.addAll(List.of("-p", Integer.toString(vip.getPort())));
        Peer pinger = Peer.start(dir, "ping-pong", client);
        peers.add(pinger);
        // sockperf takes about SECONDS + 2 s of wall time (warm-up and report).
        int exit = pinger.awaitExit(Duration.ofSeconds(SECONDS + 15L));
        String output = pinger.stdout() + pinger.stderr();
        assertThat(exit).as("sockperf ping-pong exit status; output:%n%s", output).isZero();
        assertThat(ANSI.matcher(output).replaceAll("")).as("sockperf output").doesNotContainIgnoringCase("error");
        PingPong result = PingPong.parse(output);
        System.out.printf("sockperf ping-pong %s %d B through wavelb: %d round trips, p50 %.1f us, p99 %.1f us, max %.1f us%n",
                tcp ? "TCP" : "UDP", MESSAGE_BYTES, result.received, result.p50Micros, result.p99Micros, result.maxMicros);
        // Over 3 s even the slow cross-CPU case (~800 us per round trip here) gives thousands.
        assertThat(result.received).as("round trips observed").isGreaterThanOrEqualTo(1000);
        assertThat(result.received).as("received vs sent").isLessThanOrEqualTo(result.sent).isGreaterThanOrEqualTo(result.sent - 1);
        assertThat(result.dropped).as("dropped messages").isZero();
        assertThat(result.duplicated).as("duplicated messages").isZero();
        assertThat(result.outOfOrder).as("out-of-order messages").isZero();
        assertThat(result.p50Micros).as("median round trip, us").isPositive().isLessThan(50_000);
        return result;
    }

    @Test
    void udpPingPongRoundTripsThroughTheBalancer() throws Exception {
        PingPong result = pingPong(Protocol.UDP, false);
        ListenerStats stats = lb.stats("test");
        assertThat(stats.total(ListenerCounter.SESSIONS_CREATED)).as("UDP sessions in wavelb").isGreaterThanOrEqualTo(1);
        assertThat(stats.total(ListenerCounter.DATAGRAMS_RX)).as("datagrams client → server in wavelb").isGreaterThanOrEqualTo(result.received);
        // The loop counts a reply once sendmmsg has returned, which may be after sockperf has read it.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(stats.total(ListenerCounter.DATAGRAMS_TX))
                .as("datagrams server → client in wavelb").isGreaterThanOrEqualTo(result.received));
    }

    @Test
    void tcpPingPongRoundTripsThroughTheBalancer() throws Exception {
        PingPong result = pingPong(Protocol.TCP, true);
        ListenerStats stats = lb.stats("test");
        assertThat(stats.total(ListenerCounter.TCP_ACCEPTED)).as("TCP connections in wavelb").isGreaterThanOrEqualTo(1);
        assertThat(stats.total(ListenerCounter.BYTES_RX)).as("bytes client → server in wavelb")
                .isGreaterThanOrEqualTo(result.received * MESSAGE_BYTES);
        assertThat(stats.total(ListenerCounter.BYTES_TX)).as("bytes server → client in wavelb")
                .isGreaterThanOrEqualTo(result.received * MESSAGE_BYTES);
    }
}
