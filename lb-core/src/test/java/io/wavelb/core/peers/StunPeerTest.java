package io.wavelb.core.peers;

import static org.assertj.core.api.Assertions.assertThat;
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
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * coturn's STUN client → wavelb → coturn's turnserver in STUN-only mode, IPv4 and IPv6 loopback.
 *
 * <p>A STUN Binding response carries the source address the server saw the request come from
 * (XOR-MAPPED-ADDRESS, RFC 8489 section 14.2). wavelb is a proxy, not NAT-by-rewrite: it relays
 * each client flow from its own upstream socket, one per session. So the address the client is
 * told must be exactly that upstream socket's — found in the kernel's table as a UDP socket held by
 * this JVM and connected to the STUN server — and not the client's own. A client that reached the
 * server directly would be told its own address, which no socket of this JVM has.
 */
@Tag("peers")
@Timeout(60)
class StunPeerTest {

    private static final Pattern REFLEXIVE = Pattern.compile("UDP reflexive addr: (\\S+)");

    @TempDir
    Path dir;
    private final List<Peer> peers = new ArrayList<>();
    private LoadBalancer lb;
    private String stunClient;
    private String turnServer;

    @BeforeEach
    void requireTools() {
        stunClient = Peer.require("turnutils_stunclient", "coturn");
        turnServer = Peer.require("turnserver", "coturn");
    }

    @AfterEach
    void stopAll() {
        peers.forEach(Peer::close);
        if (lb != null) {
            lb.close();
        }
    }

    @ParameterizedTest(name = "loopback {0}")
    @ValueSource(strings = {"127.0.0.1", "::1"})
    void bindingResponseNamesTheBalancersUpstreamSocket(String loopback) throws Exception {
        int stunPort = Ports.freeTcpAndUdp();
        // -n: no config file (never /etc/turnserver.conf); no CLI (its default telnet port 5766 would
        // clash between runs); no database but a throwaway one; no TCP/TLS/DTLS listeners; a pid file
        // in the temp dir instead of /var/run. Runs in the foreground, ended by close().
        peers.add(Peer.start(dir, "turnserver", List.of(turnServer, "-n", "--stun-only", "--no-cli",
                "--no-tcp", "--no-tls", "--no-dtls", "--listening-ip", loopback, "--listening-port", Integer.toString(stunPort),
                "--userdb", dir.resolve("turndb").toString(), "--pidfile", dir.resolve("turnserver.pid").toString(),
                "--log-file", "stdout", "--simple-log", "--no-software-attribute")));
        KernelSockets.awaitUdpBound(stunPort, Duration.ofSeconds(10), "turnserver");
        String target = loopback.contains(":") ? "[" + loopback + "]:" + stunPort : loopback + ":" + stunPort;
        lb = LoadBalancer.start(TestConfigs.single(Protocol.UDP, Algorithm.MAGLEV, UdpSettings.DEFAULTS, TcpSettings.DEFAULTS,
                List.of(target), loopback));
        InetSocketAddress vip = lb.address("test");

        Peer client = Peer.start(dir, "stunclient", List.of(stunClient, "-p", Integer.toString(vip.getPort()), loopback));
        peers.add(client);
        int exit = client.awaitExit(Duration.ofSeconds(15));
        String output = client.stdout() + client.stderr();
        assertThat(exit).as("turnutils_stunclient exit status; output:%n%s", output).isZero();
        Matcher m = REFLEXIVE.matcher(output);
        assertThat(m.find()).as("a reflexive address in:%n%s", output).isTrue();
        InetSocketAddress mapped = parse(m.group(1));
        System.out.printf("STUN through wavelb (%s): mapped address %s, VIP %s%n", loopback, mapped, vip);

        // The balancer's upstream sockets towards the STUN server: UDP sockets of this JVM whose
        // peer is the server (the session is idle for at most seconds of a 120 s timeout: still open).
        Set<Long> ours = KernelSockets.socketInodesOfThisProcess();
        List<InetSocketAddress> upstream = KernelSockets.udp().stream()
                .filter(r -> r.remote().getPort() == stunPort && ours.contains(r.inode()))
                .map(KernelSockets.Row::local).toList();
        assertThat(upstream).as("wavelb upstream sockets to the STUN server").hasSize(1);
        assertThat(mapped).as("the address the STUN server saw").isEqualTo(upstream.getFirst());
        assertThat(mapped).as("the VIP is not where requests leave from").isNotEqualTo(vip);
        assertThat(mapped.getAddress()).isEqualTo(InetAddress.getByName(loopback));

        ListenerStats stats = lb.stats("test");
        assertThat(stats.total(ListenerCounter.SESSIONS_CREATED)).isEqualTo(1);
        assertThat(stats.total(ListenerCounter.DATAGRAMS_RX)).as("Binding requests through wavelb").isGreaterThanOrEqualTo(1);
        // The loop counts a reply once sendmmsg has returned, which may be after the client has read
        // it, printed and exited: on a busy machine this thread can look in between.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(stats.total(ListenerCounter.DATAGRAMS_TX))
                .as("Binding responses through wavelb").isGreaterThanOrEqualTo(1));
    }

    /** "127.0.0.1:5000" or "[::1]:5000" (turnutils prints IPv6 in brackets). */
    private static InetSocketAddress parse(String hostPort) throws Exception {
        int colon = hostPort.lastIndexOf(':');
        String host = hostPort.substring(0, colon).replace("[", "").replace("]", "");
        return new InetSocketAddress(InetAddress.getByName(host), Integer.parseInt(hostPort.substring(colon + 1)));
    }
}
