package io.wavelb.core.transparent;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.core.cli.Main;
import io.wavelb.core.testing.Commands;
import io.wavelb.core.testing.WavelbProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transparent mode end to end, in network namespaces this class creates: a client, the balancer
 * and three targets, each in its own namespace; the client on a veth pair to the balancer, the
 * targets on a bridge in the balancer's namespace, routing everything via the balancer. The
 * targets ({@link TransparentPeer}) answer with the source address they saw, which must be the
 * client's own IP and port, for UDP and TCP over IPv4 and IPv6; the replies must reach the client.
 * wavelb runs as a child process in the balancer's namespace. Needs root and iproute2, as CI has.
 *
 * <pre>
 *   client 10.77.1.2, fd77:1::2 ──veth── 10.77.1.1, fd77:1::1  balancer  br0 10.77.2.1, fd77:2::1
 *                                                                          ├─veth── target t1 .11 / ::11
 *                                                                          ├─veth── target t2 .12 / ::12
 *                                                                          └─veth── target t3 .13 / ::13
 * </pre>
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TransparentSystemTest {

    private static final String ID = "wlt" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
    private static final String CLIENT = ID + "-c";
    private static final String BALANCER = ID + "-b";
    private static final List<String> TARGETS = List.of(ID + "-t1", ID + "-t2", ID + "-t3");
    private static final int ADMIN = 9901;
    private static final List<Process> peers = new ArrayList<>();
    private static WavelbProcess wavelb;

    @TempDir
    static Path dir;

    private static final String CONFIG = """
            admin:
              listen: 127.0.0.1:%d
            runtime:
              event_loops: 2
              state_dir: %s
            listeners:
              - {name: edge4, protocol: tcp_udp, listen: "0.0.0.0:7000", target_group: g4, transparent: true}
              - {name: other4, protocol: tcp_udp, listen: "0.0.0.0:7002", target_group: g4, transparent: true}
              - {name: edge6, protocol: tcp_udp, listen: "[fd77:1::1]:7001", target_group: g6, transparent: true}
            target_groups:
              - name: g4
                health_check: {protocol: udp, send: "probe", interval: 500ms, timeout: 400ms}
                targets: [{address: "10.77.2.11:7000"}, {address: "10.77.2.12:7000"}, {address: "10.77.2.13:7000"}]
              - name: g6
                health_check: {protocol: tcp, interval: 500ms, timeout: 400ms}
                targets: [{address: "[fd77:2::11]:7000"}, {address: "[fd77:2::12]:7000"}, {address: "[fd77:2::13]:7000"}]
            """;

    @BeforeAll
    static void topology() throws Exception {
        for (String ns : allNamespaces()) {
            Commands.ip("netns", "add", ns);
            Commands.ip("-n", ns, "link", "set", "lo", "up");
        }
        Commands.ip("-n", BALANCER, "link", "add", "bc", "type", "veth", "peer", "name", "c0", "netns", CLIENT);
        Commands.ip("-n", BALANCER, "addr", "add", "10.77.1.1/24", "dev", "bc");
        Commands.ip("-n", BALANCER, "addr", "add", "fd77:1::1/64", "dev", "bc", "nodad");
        Commands.ip("-n", BALANCER, "link", "set", "bc", "up");
        Commands.ip("-n", CLIENT, "addr", "add", "10.77.1.2/24", "dev", "c0");
        Commands.ip("-n", CLIENT, "addr", "add", "fd77:1::2/64", "dev", "c0", "nodad");
        Commands.ip("-n", CLIENT, "link", "set", "c0", "up");
        Commands.ip("-n", BALANCER, "link", "add", "br0", "type", "bridge");
        Commands.ip("-n", BALANCER, "addr", "add", "10.77.2.1/24", "dev", "br0");
        Commands.ip("-n", BALANCER, "addr", "add", "fd77:2::1/64", "dev", "br0", "nodad");
        Commands.ip("-n", BALANCER, "link", "set", "br0", "up");
        for (int i = 0; i < TARGETS.size(); i++) {
            String t = TARGETS.get(i);
            String port = "bt" + (i + 1);
            Commands.ip("-n", BALANCER, "link", "add", port, "type", "veth", "peer", "name", "t0", "netns", t);
            Commands.ip("-n", BALANCER, "link", "set", port, "master", "br0", "up");
            Commands.ip("-n", t, "addr", "add", "10.77.2.1" + (i + 1) + "/24", "dev", "t0");
            Commands.ip("-n", t, "addr", "add", "fd77:2::1" + (i + 1) + "/64", "dev", "t0", "nodad");
            Commands.ip("-n", t, "link", "set", "t0", "up");
            // The targets route the clients' addresses via the balancer, as on Wavelength.
            Commands.ip("-n", t, "route", "add", "default", "via", "10.77.2.1");
            Commands.ip("-n", t, "-6", "route", "add", "default", "via", "fd77:2::1");
            peers.add(startPeer(t, "target", "t" + (i + 1), "7000"));
        }
        Commands.ip("-n", CLIENT, "route", "add", "default", "via", "10.77.1.1");
        Commands.ip("-n", CLIENT, "-6", "route", "add", "default", "via", "fd77:1::1");
        // The balancer does not forward: without the rule below a target's reply to the client is dropped there.
        sysctl(BALANCER, "net.ipv4.ip_forward=0");
    }

    private static List<String> allNamespaces() {
        List<String> all = new ArrayList<>(List.of(CLIENT, BALANCER));
        all.addAll(TARGETS);
        return all;
    }

    private static void sysctl(String ns, String setting) throws Exception {
        StringBuilder out = new StringBuilder();
        assertThat(Commands.run(List.of("ip", "netns", "exec", ns, "sysctl", "-q", "-w", setting), out, 20)).as(out.toString()).isZero();
    }

    private static List<String> java(String ns, List<String> prefix, Class<?> main, String... args) {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        command.addAll(prefix);
        command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        return command;
    }

    private static Process startPeer(String ns, String... args) throws Exception {
        Path log = dir.resolve(ns + ".log");
        return new ProcessBuilder(java(ns, List.of(), TransparentPeer.class, args)).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
    }

    /** Runs a client mode of {@link TransparentPeer} in the client namespace; its output. */
    private static List<String> client(String... args) throws Exception {
        StringBuilder out = new StringBuilder();
        int rc = Commands.run(java(CLIENT, List.of(), TransparentPeer.class, args), out, 120);
        assertThat(rc).as("client %s: %s\nwavelb:\n%s", List.of(args), out, wavelb == null ? "" : wavelb.logTail()).isZero();
        return out.toString().lines().filter(l -> !l.contains("AI agent")).toList();
    }

    private static void replyRouting(String action) throws Exception {
        for (String family : List.of("-4", "-6")) {
            Commands.ip("-n", BALANCER, family, "rule", action, "iif", "br0", "lookup", "100");
        }
    }

    private static Path config() throws Exception {
        Path cfg = dir.resolve("transparent.yaml");
        Files.createDirectories(dir.resolve("state"));
        Files.writeString(cfg, CONFIG.formatted(ADMIN, dir.resolve("state")));
        return cfg;
    }

    /** {@code wavelb check-host --config FILE} in the balancer's namespace: exit code, then output. */
    private static String checkHost(int expectedExit) throws Exception {
        StringBuilder out = new StringBuilder();
        int rc = Commands.run(java(BALANCER, List.of(), Main.class, "check-host", "--config", config().toString()), out, 60);
        assertThat(rc).as(out.toString()).isEqualTo(expectedExit);
        return out.toString();
    }

    @Test
    @Order(1)
    void checkHostPrintsTheMissingRulesAndFailsThenPassesOnceTheyAreThere() throws Exception {
        Commands.ip("-n", BALANCER, "route", "add", "local", "0.0.0.0/0", "dev", "lo", "table", "100");
        Commands.ip("-n", BALANCER, "-6", "route", "add", "local", "::/0", "dev", "lo", "table", "100");
        String missing = checkHost(1);
        assertThat(missing).contains("ok: listeners 'edge4', 'other4', 'edge6' are transparent: the process has CAP_NET_RAW")
                .contains("warning: IPv4 replies from targets to clients of 'edge4', 'other4' would not reach wavelb")
                .contains("warning: IPv6 replies from targets to clients of 'edge6' would not reach wavelb")
                .contains("(table 100 has one)")
                .contains("    ip -4 rule add fwmark 0x1 lookup 100")
                .contains("    ip -6 rule add fwmark 0x1 lookup 100")
                .contains("    nft add rule inet wavelb prerouting socket transparent 1 meta mark set 0x1");

        replyRouting("add");
        String ready = checkHost(0);
        assertThat(ready).contains("ok: IPv4 replies to clients of 'edge4', 'other4' are delivered locally: rule 'from all iif br0 lookup 100' leads to table 100")
                .contains("ok: IPv6 replies to clients of 'edge6' are delivered locally").doesNotContain("\nwarning:");
    }

    @Test
    @Order(2)
    void withoutTheCapabilityTheStartFailsNamingItAndTheListeners() throws Exception {
        // An unprivileged user; CAP_DAC_READ_SEARCH only so the JVM can read this build's class path under /root.
        List<String> nobody = List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "--inh-caps=-all,+dac_read_search", "--ambient-caps=-all,+dac_read_search");
        StringBuilder out = new StringBuilder();
        int rc = Commands.run(java(BALANCER, nobody, Main.class, "run", "--config", config().toString()), out, 90);
        assertThat(rc).as(out.toString()).isEqualTo(1);
        assertThat(out.toString()).contains("wavelb: listeners 'edge4', 'other4', 'edge6' are transparent: the process has"
                + " neither CAP_NET_RAW nor CAP_NET_ADMIN, and IP_TRANSPARENT needs one of them");
    }

    @Test
    @Order(3)
    void targetsSeeTheClientsOwnAddressAndPortAndRepliesReachTheClient() throws Exception {
        Path cfg = config();
        wavelb = WavelbProcess.launch(dir, WavelbProcess.Spec.of(Files.readString(cfg), ADMIN).launchedBy("ip", "netns", "exec", BALANCER));
        awaitReady();

        assertFlows(client("udp", "10.77.1.1", "7000", "30"), 3);
        assertFlows(client("udp", "fd77:1::1", "7001", "10"), 1);
        assertFlows(client("tcp", "10.77.1.1", "7000", "30"), 3);
        assertFlows(client("tcp", "fd77:1::1", "7001", "10"), 1);
        assertThat(metric("wavelb_dropped_total", "reason=\"transparent_bind\"")).isEqualTo(0);
    }

    /** Every flow answered by a target that saw the client's own IP and port; at least {@code targets} targets seen. */
    private static void assertFlows(List<String> lines, int targets) {
        Set<String> seenTargets = new HashSet<>();
        assertThat(lines).as("client output").isNotEmpty().allSatisfy(l -> assertThat(l).startsWith("flow "));
        for (String l : lines) {
            // flow LOCAL_IP LOCAL_PORT TARGET SEEN_IP SEEN_PORT
            String[] f = l.split(" ");
            assertThat(f).as(l).hasSize(6);
            assertThat(f[4] + " " + f[5]).as("what %s saw of client %s %s", f[3], f[1], f[2]).isEqualTo(f[1] + " " + f[2]);
            seenTargets.add(f[3]);
        }
        assertThat(seenTargets).as("targets chosen by Maglev").hasSizeGreaterThanOrEqualTo(targets);
    }

    @Test
    @Order(4)
    void oneClientPortThroughTwoListenersToOneGroup() throws Exception {
        // UDP: the client's IP and port are bound once on the host; the second listener's session is refused, counted.
        List<String> udp = client("udp-collide", "10.77.1.1", "7000", "7002");
        assertThat(udp.get(0)).as(String.join("\n", udp)).matches("first (\\d+) t\\d 10\\.77\\.1\\.2 \\1");
        assertThat(udp.get(1)).isEqualTo("second none");
        assertThat(metric("wavelb_dropped_total", "reason=\"transparent_bind\"", "listener=\"other4\"")).isGreaterThanOrEqualTo(1);

        // TCP: the second connection keeps the client's IP on another port.
        List<String> tcp = client("tcp-collide", "10.77.1.1", "7000", "7002");
        String port = tcp.get(0).split(" ")[2];
        assertThat(tcp.get(1)).as(String.join("\n", tcp)).matches("first t\\d 10\\.77\\.1\\.2 " + port);
        assertThat(tcp.get(2)).as(String.join("\n", tcp)).matches("second t\\d 10\\.77\\.1\\.2 \\d+").doesNotEndWith(" " + port);
    }

    @Test
    @Order(5)
    void withoutReplyRoutingTheRepliesNeverReachTheClient() throws Exception {
        replyRouting("del");
        try {
            List<String> lines = client("udp", "10.77.1.1", "7000", "1");
            assertThat(lines).singleElement().satisfies(l -> assertThat(l).startsWith("lost "));
        } finally {
            replyRouting("add");
        }
    }

    @Test
    @Order(6)
    void theFirewallMarkRecipeWorksAsWell() throws Exception {
        replyRouting("del");
        List<String> nft = List.of("add table inet wavelb",
                "add chain inet wavelb prerouting { type filter hook prerouting priority mangle; }",
                "add rule inet wavelb prerouting socket transparent 1 meta mark set 0x1");
        for (String family : List.of("-4", "-6")) {
            Commands.ip("-n", BALANCER, family, "rule", "add", "fwmark", "0x1", "lookup", "100");
        }
        for (String command : nft) {
            List<String> line = new ArrayList<>(List.of("ip", "netns", "exec", BALANCER, "nft"));
            line.addAll(List.of(command.split(" ")));
            StringBuilder out = new StringBuilder();
            assertThat(Commands.run(line, out, 20)).as("%s: %s", line, out).isZero();
        }
        assertThat(checkHost(0)).contains("rule 'from all fwmark 0x1 lookup 100' leads to table 100")
                .contains("note: the rule selects marked packets");
        assertFlows(client("udp", "10.77.1.1", "7000", "5"), 1);
        assertFlows(client("tcp", "10.77.1.1", "7000", "5"), 1);
        assertFlows(client("udp", "fd77:1::1", "7001", "5"), 1);
        assertFlows(client("tcp", "fd77:1::1", "7001", "5"), 1);
    }

    /** Waits (at most 60 s) until wavelb's /readyz in the balancer's namespace answers 200. */
    private static void awaitReady() throws Exception {
        for (int attempt = 0; attempt < 120; attempt++) {
            if (!wavelb.isAlive()) {
                throw new AssertionError("wavelb exited while starting:\n" + wavelb.logTail());
            }
            int rc = Commands.run(List.of("ip", "netns", "exec", BALANCER, "curl", "-sf", "-m", "2", "-o", "/dev/null",
                    "http://127.0.0.1:" + ADMIN + "/readyz"), new StringBuilder(), 10);
            if (rc == 0) {
                return;
            }
            TimeUnit.MILLISECONDS.sleep(500);
        }
        throw new AssertionError("wavelb not ready in time:\n" + wavelb.logTail());
    }

    /** A metric of the wavelb in the balancer's namespace, read with curl there; -1 when it is absent. */
    private static double metric(String name, String... labels) throws Exception {
        for (int attempt = 0; attempt < 10; attempt++) {
            StringBuilder out = new StringBuilder();
            int rc = Commands.run(List.of("ip", "netns", "exec", BALANCER, "curl", "-sf", "-m", "5",
                    "http://127.0.0.1:" + ADMIN + "/metrics"), out, 20);
            if (rc == 0) {
                OptionalDouble v = WavelbProcess.Metrics.sum(out.toString(), name, labels);
                return v.orElse(-1);
            }
            TimeUnit.MILLISECONDS.sleep(500);
        }
        throw new AssertionError("no metrics from wavelb:\n" + wavelb.logTail());
    }

    @AfterAll
    static void teardown() throws Exception {
        try {
            if (wavelb != null) {
                wavelb.stop(Duration.ofSeconds(20));
                wavelb.close();
            }
        } finally {
            for (Process p : peers) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
            for (String ns : allNamespaces()) {
                Commands.run(List.of("ip", "netns", "delete", ns), new StringBuilder(), 20);
            }
        }
    }
}
