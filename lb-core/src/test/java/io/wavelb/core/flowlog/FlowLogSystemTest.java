package io.wavelb.core.flowlog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wavelb.config.AdminConfig;
import io.wavelb.config.Algorithm;
import io.wavelb.config.FlowLogConfig;
import io.wavelb.config.HostPort;
import io.wavelb.config.ListenerConfig;
import io.wavelb.config.OutlierDetectionConfig;
import io.wavelb.config.Protocol;
import io.wavelb.config.RuntimeSettings;
import io.wavelb.config.TargetConfig;
import io.wavelb.config.TargetGroupConfig;
import io.wavelb.config.TcpSettings;
import io.wavelb.config.Transport;
import io.wavelb.config.UdpSettings;
import io.wavelb.config.WavelbConfig;
import io.wavelb.core.LoadBalancer;
import io.wavelb.core.admin.AdminOperations;
import io.wavelb.core.health.state.HealthStatus;
import io.wavelb.core.target.Target;
import io.wavelb.core.target.TargetGroup;
import io.wavelb.core.testing.EchoServer;
import io.wavelb.core.testing.UdpClient;
import io.wavelb.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Flow logs through a real balancer on loopback: real UDP and TCP traffic ends each flow for a
 * different reason, and the file holds one JSON record per flow with that reason and the bytes and
 * datagrams that were sent. Every wait is bounded; nothing asserts on timing.
 */
@Timeout(120)
class FlowLogSystemTest {

    @TempDir
    Path dir;

    private static final Duration LONG = Duration.ofSeconds(60);
    private static final Duration SHORT = Duration.ofSeconds(1);

    private static ListenerConfig udp(String name, String group, Duration idle, int maxSessions, int maxResponses) {
        return new ListenerConfig(name, Protocol.UDP, new HostPort("127.0.0.1", 0), group,
                new UdpSettings(idle, maxSessions, 9216, 0, maxResponses), TcpSettings.DEFAULTS);
    }

    private static ListenerConfig tcp(String name, String group, Duration idle) {
        return new ListenerConfig(name, Protocol.TCP, new HostPort("127.0.0.1", 0), group, UdpSettings.DEFAULTS,
                new TcpSettings(idle, Duration.ofSeconds(2), 1));
    }

    private static TargetGroupConfig group(String name, String... targets) {
        return new TargetGroupConfig(name, Algorithm.MAGLEV, List.of(targets).stream()
                .map(t -> TargetConfig.of(HostPort.parse(t))).toList(), 65537, Optional.empty(),
                OutlierDetectionConfig.DEFAULTS, Duration.ZERO, false);
    }

    private static FlowLogConfig toFile(Path file) {
        return new FlowLogConfig(Optional.of(file), false, FlowLogConfig.Format.JSON, 1, false, 4096);
    }

    /** One event loop: the session cap's eviction takes the idlest session of the loop the new client is on. */
    private static WavelbConfig config(List<ListenerConfig> listeners, List<TargetGroupConfig> groups, FlowLogConfig log) {
        return new WavelbConfig(AdminConfig.DEFAULTS, new RuntimeSettings(1, Transport.AUTO, Duration.ZERO),
                listeners, groups, log);
    }

    private static int deadPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> records(Path file) throws Exception {
        List<Map<String, Object>> out = new ArrayList<>();
        if (!Files.exists(file)) {
            return out;
        }
        for (String line : Files.readAllLines(file)) {
            out.add((Map<String, Object>) Json.parse(line));
        }
        return out;
    }

    private static Map<String, Object> awaitRecord(Path file, String listener, String reason) throws Exception {
        return awaitRecord(file, listener, java.util.Set.of(reason));
    }

    /** The first record of {@code listener} ending with one of {@code reasons}. */
    private static Map<String, Object> awaitRecord(Path file, String listener, java.util.Set<String> reasons) throws Exception {
        Predicate<Map<String, Object>> match = r -> listener.equals(r.get("listener")) && reasons.contains(r.get("end_reason"));
        String reason = String.join(" or ", reasons);
        for (int i = 0; i < 400; i++) {
            for (Map<String, Object> r : records(file)) {
                if (match.test(r)) {
                    return r;
                }
            }
            Thread.sleep(25);
        }
        throw new AssertionError("no record of listener " + listener + " ending " + reason + " in:\n"
                + (Files.exists(file) ? Files.readString(file) : "(no file)"));
    }

    private static String udpPayloadFrom(DatagramSocket s, InetSocketAddress to, String payload) throws IOException {
        byte[] out = payload.getBytes(StandardCharsets.UTF_8);
        s.send(new DatagramPacket(out, out.length, to));
        byte[] in = new byte[2048];
        DatagramPacket reply = new DatagramPacket(in, in.length);
        s.receive(reply);
        return new String(in, 0, reply.getLength(), StandardCharsets.UTF_8);
    }

    private static void assertUdp(Map<String, Object> r, long fromClientDatagrams, long fromClientBytes,
                                  long toClientDatagrams, long toClientBytes) {
        assertThat(r).containsEntry("event", "end").containsEntry("protocol", "udp")
                .containsEntry("datagrams_from_client", fromClientDatagrams).containsEntry("bytes_from_client", fromClientBytes)
                .containsEntry("datagrams_to_client", toClientDatagrams).containsEntry("bytes_to_client", toClientBytes)
                .containsKeys("time", "start", "duration_ms", "client").doesNotContainKey("route");
        assertThat((String) r.get("client")).startsWith("127.0.0.1:");
    }

    @Test
    void aRecordForEachEndReasonWithTheBytesAndDatagramsSent() throws Exception {
        Path file = dir.resolve("flows.log");
        int dead = deadPort();
        try (EchoServer a = EchoServer.start("a"); EchoServer b = EchoServer.start("b");
             ServerSocket resetting = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            // A TCP target that resets every connection it accepts.
            Thread.ofVirtual().start(() -> {
                while (!resetting.isClosed()) {
                    try (Socket s = resetting.accept()) {
                        s.setSoLinger(true, 0);
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            String rst = "127.0.0.1:" + resetting.getLocalPort();
            List<TargetGroupConfig> groups = List.of(group("ga", a.address()), group("gab", a.address(), b.address()),
                    group("gremove", b.address()), group("gdead", "127.0.0.1:" + dead), group("grst", rst));
            List<ListenerConfig> listeners = List.of(
                    udp("idle", "ga", SHORT, 100, 0), udp("done", "ga", LONG, 100, 1), udp("dead", "gdead", LONG, 100, 0),
                    udp("cap", "ga", LONG, 1, 0), udp("move", "gab", LONG, 100, 0), udp("gone", "gremove", LONG, 100, 0),
                    udp("evict", "ga", LONG, 100, 0), udp("stay", "ga", LONG, 100, 0),
                    tcp("tcp", "ga", LONG), tcp("tcpidle", "ga", SHORT), tcp("tcpdead", "gdead", LONG), tcp("tcprst", "grst", LONG));
            LoadBalancer lb = LoadBalancer.start(config(listeners, groups, toFile(file)));
            boolean closed = false;
            try (DatagramSocket c1 = new DatagramSocket(0, InetAddress.getLoopbackAddress());
                 DatagramSocket c2 = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
                c1.setSoTimeout(5000);
                c2.setSoTimeout(5000);

                // idle: three datagrams each way, then nothing for udp.idle_timeout.
                InetSocketAddress idle = lb.address("idle");
                assertThat(udpPayloadFrom(c1, idle, "x1")).isEqualTo("a|x1");
                assertThat(udpPayloadFrom(c1, idle, "x22")).isEqualTo("a|x22");
                assertThat(udpPayloadFrom(c1, idle, "x333")).isEqualTo("a|x333");
                Map<String, Object> r = awaitRecord(file, "idle", "idle");
                assertUdp(r, 3, 2 + 3 + 4, 3, 4 + 5 + 6);
                assertThat(r).containsEntry("target", a.address()).containsEntry("client", "127.0.0.1:" + c1.getLocalPort());
                assertThat((String) r.get("local")).startsWith("127.0.0.1:");

                // completed: max_responses 1, one query, its reply.
                assertThat(udpPayloadFrom(c1, lb.address("done"), "query")).isEqualTo("a|query");
                assertUdp(awaitRecord(file, "done", "completed"), 1, 5, 1, 7);

                // target_unreachable: the target port refuses (ICMP port unreachable).
                try (UdpClient u = new UdpClient(lb.address("dead"))) {
                    assertThat(u.target("z", 300)).isNull();
                    Map<String, Object> unreachable = awaitRecord(file, "dead", "target_unreachable");
                    assertThat(unreachable).containsEntry("datagrams_to_client", 0L).containsEntry("bytes_to_client", 0L);
                }

                // session_cap: max_sessions 1; a second client arrives once the first has been quiet a second.
                InetSocketAddress cap = lb.address("cap");
                assertThat(udpPayloadFrom(c1, cap, "first")).isEqualTo("a|first");
                Thread.sleep(1_200);
                assertThat(udpPayloadFrom(c2, cap, "second")).isEqualTo("a|second");
                Map<String, Object> evictedByCap = awaitRecord(file, "cap", "session_cap");
                assertUdp(evictedByCap, 1, 5, 1, 7);
                assertThat(evictedByCap).containsEntry("client", "127.0.0.1:" + c1.getLocalPort());

                // target_unhealthy: the session's target turns unhealthy; the next datagram moves.
                InetSocketAddress move = lb.address("move");
                String first = udpPayloadFrom(c1, move, "m");
                TargetGroup gab = lb.targetGroups().get("gab");
                EchoServer firstServer = first.startsWith("a|") ? a : b;
                Target picked = gab.targets().stream()
                        .filter(t -> t.socketAddress().getPort() == firstServer.port()).findFirst().orElseThrow();
                gab.health(picked, HealthStatus.UNHEALTHY);
                assertThat(udpPayloadFrom(c1, move, "m2")).isNotEqualTo(first.substring(0, 2) + "m2");
                assertUdp(awaitRecord(file, "move", "target_unhealthy"), 1, 1, 1, 3);

                // target_removed and evicted: a reload takes target b out of group gremove (no
                // deregistration delay) and removes listener evict.
                assertThat(udpPayloadFrom(c1, lb.address("gone"), "g")).isEqualTo("b|g");
                assertThat(udpPayloadFrom(c1, lb.address("evict"), "e")).isEqualTo("a|e");
                List<TargetGroupConfig> groups2 = new ArrayList<>(groups);
                groups2.set(2, group("gremove", a.address()));
                List<ListenerConfig> listeners2 = listeners.stream().filter(l -> !l.name().equals("evict")).toList();
                assertThat(lb.apply(config(listeners2, groups2, toFile(file)))).isInstanceOf(AdminOperations.Reloaded.class);
                assertUdp(awaitRecord(file, "gone", "target_removed"), 1, 1, 1, 3);
                assertUdp(awaitRecord(file, "evict", "evicted"), 1, 1, 1, 3);

                // TCP closed: 1000 bytes each way, both sides FIN.
                byte[] kilo = new byte[1000];
                try (Socket s = new Socket()) {
                    s.connect(lb.address("tcp"), 5000);
                    s.setSoTimeout(5000);
                    s.getOutputStream().write(kilo);
                    s.shutdownOutput();
                    assertThat(s.getInputStream().readAllBytes()).hasSize(1000);
                }
                Map<String, Object> tcpClosed = awaitRecord(file, "tcp", "closed");
                assertThat(tcpClosed).containsEntry("protocol", "tcp").containsEntry("bytes_from_client", 1000L)
                        .containsEntry("bytes_to_client", 1000L).containsEntry("target", a.address())
                        .doesNotContainKeys("datagrams_from_client", "datagrams_to_client");

                // TCP client_closed: the client resets after one echo.
                try (Socket s = new Socket()) {
                    s.connect(lb.address("tcp"), 5000);
                    s.setSoTimeout(5000);
                    s.getOutputStream().write(new byte[10]);
                    InputStream in = s.getInputStream();
                    assertThat(in.readNBytes(10)).hasSize(10);
                    s.setSoLinger(true, 0);
                }
                assertThat(awaitRecord(file, "tcp", "client_closed")).containsEntry("bytes_from_client", 10L)
                        .containsEntry("bytes_to_client", 10L);

                // TCP idle, no_target, target_closed.
                try (Socket s = new Socket()) {
                    s.connect(lb.address("tcpidle"), 5000);
                    s.setSoTimeout(10_000);
                    assertThat(s.getInputStream().read()).isEqualTo(-1);
                }
                assertThat(awaitRecord(file, "tcpidle", "idle")).containsEntry("bytes_from_client", 0L);
                try (Socket s = new Socket()) {
                    s.connect(lb.address("tcpdead"), 5000);
                    s.setSoTimeout(10_000);
                    assertThat(s.getInputStream().read()).isEqualTo(-1);
                }
                assertThat(awaitRecord(file, "tcpdead", "no_target")).doesNotContainKeys("target", "local");
                try (Socket s = new Socket()) {
                    s.connect(lb.address("tcprst"), 5000);
                    s.setSoTimeout(10_000);
                    assertThat(s.getInputStream().read()).isEqualTo(-1);
                }
                // The target resets right after its accept. Usually wavelb sees the connection
                // established first (target_closed); on a busy machine the reset can land before
                // the connect is completed on the loop, which is then a failed connect (no_target).
                Map<String, Object> reset = awaitRecord(file, "tcprst", java.util.Set.of("target_closed", "no_target"));
                if ("target_closed".equals(reset.get("end_reason"))) {
                    assertThat(reset).containsEntry("target", rst);
                }

                // shutdown: a UDP session and a TCP connection still open when the balancer stops.
                assertThat(udpPayloadFrom(c1, lb.address("stay"), "s")).isEqualTo("a|s");
                try (Socket s = new Socket()) {
                    s.connect(lb.address("tcp"), 5000);
                    s.setSoTimeout(5000);
                    s.getOutputStream().write(new byte[3]);
                    assertThat(s.getInputStream().readNBytes(3)).hasSize(3);
                    lb.close();
                    closed = true;
                }
                assertUdp(awaitRecord(file, "stay", "shutdown"), 1, 1, 1, 3);
                assertThat(awaitRecord(file, "tcp", "shutdown")).containsEntry("bytes_from_client", 3L);
            } finally {
                if (!closed) {
                    lb.close();
                }
            }
            // One end record per flow, nothing else: the sessions the cap and move flows opened next ended at shutdown.
            List<Map<String, Object>> all = records(file);
            String rstReason = all.stream().filter(r -> "tcprst".equals(r.get("listener")))
                    .map(r -> String.valueOf(r.get("end_reason"))).findFirst().orElse("(none)");
            assertThat(all).allSatisfy(r -> assertThat(r).containsEntry("event", "end"));
            assertThat(all.stream().map(r -> r.get("listener") + "/" + r.get("end_reason")).toList())
                    .containsExactlyInAnyOrder("idle/idle", "done/completed", "dead/target_unreachable",
                            "cap/session_cap", "cap/shutdown", "move/target_unhealthy", "move/shutdown",
                            "gone/target_removed", "evict/evicted", "tcp/closed", "tcp/client_closed", "tcpidle/idle",
                            "tcpdead/no_target", "tcprst/" + rstReason, "stay/shutdown", "tcp/shutdown");
        }
    }

    @Test
    void aFileThatCannotBeOpenedStopsTheStartAndABadReloadKeepsTheRunningLog() throws Exception {
        Path missing = dir.resolve("no-such-dir/flows.log");
        try (EchoServer a = EchoServer.start("a")) {
            List<TargetGroupConfig> groups = List.of(group("ga", a.address()));
            List<ListenerConfig> listeners = List.of(udp("done", "ga", LONG, 100, 1));
            assertThatThrownBy(() -> LoadBalancer.start(config(listeners, groups, toFile(missing))))
                    .isInstanceOf(IOException.class)
                    .hasMessage("flow_log.path: cannot open " + missing + ": no such directory " + missing.getParent());

            Path file = dir.resolve("flows.log");
            try (LoadBalancer lb = LoadBalancer.start(config(listeners, groups, toFile(file)));
                 UdpClient c = new UdpClient(lb.address("done"))) {
                AdminOperations.ReloadOutcome outcome = lb.apply(config(listeners, groups, toFile(missing)));
                assertThat(outcome).isInstanceOf(AdminOperations.Failed.class);
                assertThat(((AdminOperations.Failed) outcome).message()).contains("no such directory");
                assertThat(lb.config().flowLog().path()).contains(file);
                assertThat(c.target("q")).isEqualTo("a");
                awaitRecord(file, "done", "completed");

                // on_start and logfmt, by reload: the next flow has a start record, then its end.
                Path other = dir.resolve("flows2.log");
                FlowLogConfig logfmt = new FlowLogConfig(Optional.of(other), false, FlowLogConfig.Format.LOGFMT, 1, true, 64);
                assertThat(lb.apply(config(listeners, groups, logfmt))).isInstanceOf(AdminOperations.Reloaded.class);
                assertThat(c.target("q2")).isEqualTo("a");
                List<String> lines = List.of();
                for (int i = 0; i < 400 && lines.size() < 2; i++) {
                    Thread.sleep(25);
                    lines = Files.exists(other) ? Files.readAllLines(other) : List.of();
                }
                assertThat(lines).hasSize(2);
                assertThat(FlowRecordFormatTest.logfmt(lines.get(0) + "\n")).containsEntry("event", "start")
                        .doesNotContainKey("end_reason");
                assertThat(FlowRecordFormatTest.logfmt(lines.get(1) + "\n")).containsEntry("event", "end")
                        .containsEntry("end_reason", "completed").containsEntry("bytes_from_client", "2");
            }
        }
    }
}
