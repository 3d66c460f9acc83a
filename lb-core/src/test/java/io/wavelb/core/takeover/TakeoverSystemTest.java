package io.wavelb.core.takeover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import io.wavelb.core.testing.Commands;
import io.wavelb.core.testing.PortRecordingTarget;
import io.wavelb.core.testing.Ports;
import io.wavelb.core.testing.UdpClient;
import io.wavelb.core.testing.WavelbProcess;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Takeover between two real wavelb processes: listener sockets and live UDP sessions move to the
 * new process, a target sees every session keep its source port, no request goes unanswered, the
 * open TCP connection stays with the old process until it ends, and each failure mode leaves a
 * process serving.
 */
@Timeout(180)
class TakeoverSystemTest {

    private static final Duration READY = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private static String yaml(int admin, Path stateDir, int port, String target) {
        return """
                admin:
                  listen: 127.0.0.1:%d
                runtime:
                  event_loops: 2
                  state_dir: %s
                  shutdown_grace_period: 30s
                listeners:
                  - name: media
                    protocol: tcp_udp
                    listen: 127.0.0.1:%d
                    target_group: echo
                    udp:
                      idle_timeout: 60s
                target_groups:
                  - name: echo
                    targets:
                      - address: %s
                """.formatted(admin, stateDir, port, target);
    }

    private record Setup(PortRecordingTarget target, int port, String yaml, int admin, InetSocketAddress vip) {
    }

    private Setup setup() throws Exception {
        PortRecordingTarget target = new PortRecordingTarget(Ports.freeTcpAndUdp());
        int port = Ports.freeTcpAndUdp();
        int admin = Ports.freeTcpAndUdp();
        return new Setup(target, port, yaml(admin, dir.resolve("state"), port, target.address()), admin,
                new InetSocketAddress("127.0.0.1", port));
    }

    private Path sub(String name) throws Exception {
        return Files.createDirectories(dir.resolve(name));
    }

    private static void awaitLog(WavelbProcess p, String text) {
        await().atMost(READY).pollInterval(Duration.ofMillis(100)).until(() -> p.log().contains(text) || !p.isAlive());
        assertThat(p.log()).as("log of pid " + p.pid()).contains(text);
    }

    @Test
    void sessionsKeepTheirSourcePortNothingIsLostAndTcpStaysWithTheOldProcess() throws Exception {
        Setup s = setup();
        try (PortRecordingTarget target = s.target(); WavelbProcess old = WavelbProcess.start(sub("old"), WavelbProcess.Spec.of(s.yaml(), s.admin()))) {
            awaitLog(old, "takeover: listening on"); // after /readyz: the control socket comes last
            assertThat(old.log()).contains("takeover: listening on " + dir.resolve("state").resolve("control.sock"));
            Path state = dir.resolve("state");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state))).isEqualTo("rwx------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state.resolve("control.sock"))))
                    .isEqualTo("rw-------");

            try (Socket tcp = new Socket()) {
                tcp.connect(s.vip(), 5000);
                tcp.setSoTimeout(5000);
                BufferedReader tcpIn = new BufferedReader(new InputStreamReader(tcp.getInputStream(), StandardCharsets.UTF_8));
                OutputStream tcpOut = tcp.getOutputStream();
                tcpOut.write("before\n".getBytes(StandardCharsets.UTF_8));
                assertThat(tcpIn.readLine()).isEqualTo("before");

                Flows flows = new Flows(s.vip(), 16, 20, 3000);
                WavelbProcess fresh;
                try {
                    await().atMost(READY).until(() -> flows.leastAnswered() >= 5);
                    fresh = WavelbProcess.launch(sub("new"), WavelbProcess.Spec.of(s.yaml(), s.admin()).args("--takeover"));
                    awaitLog(fresh, "takeover: complete");
                    int at = flows.answered();
                    await().atMost(READY).until(() -> flows.answered() >= at + 16 * 20);
                } finally {
                    flows.stop();
                }
                try (fresh) {
                    String summary = flows.summary() + "; ports by flow " + s.target().portsByFlow();
                    assertThat(flows.answered()).as(summary).isEqualTo(flows.asked());
                    Map<String, Set<Integer>> ports = s.target().portsByFlow();
                    assertThat(ports).as(summary).hasSize(16);
                    ports.forEach((flow, seen) -> assertThat(seen).as("source ports of " + flow + ": " + summary).hasSize(1));

                    assertThat(old.log()).contains("takeover: handed over to pid " + fresh.pid());
                    assertThat(fresh.log()).contains("takeover: 16 of 16 UDP session(s) taken");
                    assertThat(fresh.metric("wavelb_udp_sessions_adopted_total", "listener=\"media\"").orElse(0)).isEqualTo(16);
                    assertThat(fresh.metric("wavelb_takeovers_total", "role=\"new\"", "result=\"completed\"").orElse(0))
                            .isEqualTo(1);

                    // The TCP connection opened before stays with the old process, which waits for it.
                    tcpOut.write("after\n".getBytes(StandardCharsets.UTF_8));
                    assertThat(tcpIn.readLine()).isEqualTo("after");
                    assertThat(old.isAlive()).as("the old process waits for its open TCP connection").isTrue();
                    tcp.close();
                    assertThat(old.process().waitFor(30, TimeUnit.SECONDS)).as("old exits once its TCP connection ended").isTrue();
                    assertThat(old.process().exitValue()).isZero();

                    // The new process serves new flows, TCP and UDP.
                    try (UdpClient udp = new UdpClient(s.vip())) {
                        assertThat(udp.target("flowX:1", 2000)).isEqualTo("t");
                    }
                    try (Socket again = new Socket()) {
                        again.connect(s.vip(), 5000);
                        again.setSoTimeout(5000);
                        again.getOutputStream().write("new\n".getBytes(StandardCharsets.UTF_8));
                        assertThat(new BufferedReader(new InputStreamReader(again.getInputStream(), StandardCharsets.UTF_8))
                                .readLine()).isEqualTo("new");
                    }
                    assertThat(fresh.stop(Duration.ofSeconds(40))).isZero();
                }
            }
        }
    }

    /** {@code prefix} padded with dots to {@code length} bytes. */
    private static byte[] padded(String prefix, int length) {
        return (prefix + ".".repeat(length - prefix.length())).getBytes(StandardCharsets.US_ASCII);
    }

    /** Replies on {@code client} until one starting with {@code start}; null when none comes within its timeout. */
    private static String replyStartingWith(DatagramSocket client, String start) throws IOException {
        byte[] buf = new byte[2048];
        for (int i = 0; i < 10_000; i++) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                client.receive(p);
            } catch (SocketTimeoutException e) {
                return null;
            }
            String text = new String(p.getData(), 0, p.getLength(), StandardCharsets.US_ASCII);
            if (text.startsWith(start)) {
                return text;
            }
        }
        return null;
    }

    @Test
    void aTakenOverSessionSendsALongerDatagramWholeAfterTheOldProcessSentGsoBursts() throws Exception {
        // The old process sends a client's same-size datagrams as GSO bursts, which leaves
        // UDP_SEGMENT set on the session's upstream socket; the new process takes that socket over.
        // Believing it unset, it once sent a longer lone datagram that the kernel cut at the old
        // segment size: the target got two datagrams, the second one a stray tail of dots.
        Setup s = setup();
        try (PortRecordingTarget target = s.target(); WavelbProcess old = WavelbProcess.start(sub("old"), WavelbProcess.Spec.of(s.yaml(), s.admin()));
             DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            awaitLog(old, "takeover: listening on");
            client.connect(s.vip());
            client.setSoTimeout(2000);
            byte[] burst = padded("g:burst", 200);
            for (int round = 0; round < 50
                    && old.metric("wavelb_udp_gso_datagrams_total", "listener=\"media\"").orElse(0) == 0; round++) {
                for (int i = 0; i < 32; i++) {
                    client.send(new DatagramPacket(burst, burst.length));
                }
                Thread.sleep(20);
            }
            assumeThat(old.metric("wavelb_udp_gso_datagrams_total", "listener=\"media\"").orElse(0))
                    .as("the old process sent GSO bursts (a kernel without UDP_SEGMENT has nothing to leave behind)")
                    .isPositive();
            try (WavelbProcess fresh = WavelbProcess.launch(sub("new"), WavelbProcess.Spec.of(s.yaml(), s.admin()).args("--takeover"))) {
                awaitLog(fresh, "takeover: complete");
                assertThat(fresh.log()).contains("takeover: 1 of 1 UDP session(s) taken");
                byte[] longer = padded("g:long", 300);
                client.send(new DatagramPacket(longer, longer.length));
                assertThat(replyStartingWith(client, "t|g:long"))
                        .as("the echo of the 300-byte datagram, whole")
                        .isEqualTo("t|" + new String(longer, StandardCharsets.US_ASCII));
                assertThat(target.portsByFlow().keySet()).as("no stray fragment reached the target").containsExactly("g");
                assertThat(fresh.stop(Duration.ofSeconds(40))).isZero();
            }
        }
    }

    @Test
    void anInvalidConfigLeavesTheRunningProcessServing() throws Exception {
        Setup s = setup();
        try (PortRecordingTarget target = s.target(); WavelbProcess old = WavelbProcess.start(sub("old"), WavelbProcess.Spec.of(s.yaml(), s.admin()))) {
            awaitLog(old, "takeover: listening on"); // after /readyz: the control socket comes last
            try (UdpClient udp = new UdpClient(s.vip())) {
                assertThat(udp.target("flowA:1", 2000)).isEqualTo("t");
                WavelbProcess bad = WavelbProcess.launch(sub("bad"),
                        WavelbProcess.Spec.of(s.yaml() + "bogus_key: 1\n", s.admin()).args("--takeover"));
                assertThat(bad.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(bad.process().exitValue()).isEqualTo(2);
                assertThat(bad.log()).contains("bogus_key");
                assertThat(udp.target("flowA:2", 2000)).isEqualTo("t");
            }
            assertThat(old.log()).doesNotContain("takeover: pid");
            assertThat(s.target().portsByFlow().get("flowA")).hasSize(1);
        }
    }

    @Test
    void anotherProtocolVersionAndASecondTakeoverAreRefusedAndBothSidesGoOn() throws Exception {
        Setup s = setup();
        Path socket = dir.resolve("state").resolve("control.sock");
        try (PortRecordingTarget target = s.target(); WavelbProcess old = WavelbProcess.start(sub("old"), WavelbProcess.Spec.of(s.yaml(), s.admin()))) {
            awaitLog(old, "takeover: listening on"); // after /readyz: the control socket comes last
            try (TakeoverClient other = TakeoverClient.connect(socket)) {
                TakeoverClient.Refused refused = org.junit.jupiter.api.Assertions.assertThrows(TakeoverClient.Refused.class,
                        () -> other.hello(TakeoverProtocol.VERSION + 1));
                assertThat(refused.getMessage()).contains("takeover protocol version " + (TakeoverProtocol.VERSION + 1)
                        + " is not spoken here (this wavelb speaks " + TakeoverProtocol.VERSION + ")");
            }
            // A takeover in progress (this test holds it after the manifest): a second one is refused.
            try (TakeoverClient first = TakeoverClient.connect(socket)) {
                TakeoverProtocol.Listeners offer = first.hello();
                assertThat(offer.sockets()).extracting(TakeoverProtocol.ListenerSocket::listener).containsOnly("media");
                WavelbProcess second = WavelbProcess.launch(sub("second"),
                        WavelbProcess.Spec.of(s.yaml(), s.admin()).args("--takeover"));
                assertThat(second.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(second.process().exitValue()).isEqualTo(1);
                assertThat(second.log()).contains("--takeover refused by the running wavelb: a takeover by pid "
                        + ProcessHandle.current().pid() + " is in progress");
            }
            // The first asker went away before taking anything: the old process serves on, and can be taken over.
            try (UdpClient udp = new UdpClient(s.vip())) {
                assertThat(udp.target("flowB:1", 2000)).isEqualTo("t");
            }
            await().atMost(READY).until(() -> old.log().contains("takeover by pid " + ProcessHandle.current().pid() + " failed"));
            assertThat(old.metric("wavelb_takeovers_total", "role=\"old\"", "result=\"refused\"").orElse(0)).isEqualTo(2);
        }
    }

    @Test
    void silentPeersOnTheControlSocketAreBoundedAndTimedOut() throws Exception {
        Setup s = setup();
        Path socket = dir.resolve("state").resolve("control.sock");
        try (PortRecordingTarget target = s.target(); WavelbProcess old = WavelbProcess.start(sub("old"), WavelbProcess.Spec.of(s.yaml(), s.admin()))) {
            awaitLog(old, "takeover: listening on"); // after /readyz: the control socket comes last
            List<TakeoverClient> silent = new ArrayList<>();
            try {
                for (int i = 0; i < ControlServer.MAX_CONVERSATIONS; i++) {
                    silent.add(TakeoverClient.connect(socket)); // connected, saying nothing: each holds a conversation
                }
                await().atMost(READY).until(() -> {
                    try (TakeoverClient extra = TakeoverClient.connect(socket)) {
                        extra.hello();
                        return false;
                    } catch (IOException closed) {
                        return true; // closed unanswered: over the bound
                    }
                });
                assertThat(old.log()).contains("conversations on the control socket already; closed another");
            } finally {
                silent.forEach(TakeoverClient::close);
            }
            // The silent ones end (closed, or timed out waiting for hello): a conversation is possible again.
            await().atMost(READY).until(() -> {
                try (TakeoverClient again = TakeoverClient.connect(socket)) {
                    return again.hello(TakeoverProtocol.VERSION + 1) == null;
                } catch (TakeoverClient.Refused refused) {
                    return refused.getMessage().contains("is not spoken here");
                } catch (IOException busy) {
                    return false;
                }
            });
            // One that stays silent past the first step is closed, and the log says no takeover had begun.
            try (TakeoverClient lingering = TakeoverClient.connect(socket)) {
                awaitLog(old, "takeover: a connection to the control socket said nothing within "
                        + ControlServer.STEP.toSeconds() + " s; closed it (no takeover had begun)");
            }
            assertThat(old.log()).doesNotContain("takeover: conversation ended");
            try (UdpClient udp = new UdpClient(s.vip())) {
                assertThat(udp.target("flowF:1", 2000)).isEqualTo("t");
            }
        }
    }

    @Test
    void theNewProcessServesWhatItReceivedWhenTheOldOneDiesMidway() throws Exception {
        Setup s = setup();
        WavelbProcess.Spec dying = WavelbProcess.Spec.of(s.yaml(), s.admin()).jvm("-Dwavelb.takeover.haltAfter=listeners");
        try (PortRecordingTarget target = s.target(); WavelbProcess old = WavelbProcess.start(sub("old"), dying)) {
            awaitLog(old, "takeover: listening on"); // after /readyz: the control socket comes last
            try (UdpClient udp = new UdpClient(s.vip())) {
                assertThat(udp.target("flowC:1", 2000)).isEqualTo("t");
                try (WavelbProcess fresh = WavelbProcess.launch(sub("new"), WavelbProcess.Spec.of(s.yaml(), s.admin())
                        .args("--takeover"))) {
                    awaitLog(fresh, "takeover: complete");
                    assertThat(old.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
                    assertThat(old.process().exitValue()).isEqualTo(137);
                    assertThat(fresh.log()).contains("takeover: the process taken over (pid " + old.pid() + ") died midway").contains("using the socket the process taken over passed");
                    // The session's socket died with the old process: the flow's next datagram opens a new session.
                    assertThat(udp.target("flowC:2", 2000)).isEqualTo("t");
                    try (UdpClient other = new UdpClient(s.vip())) {
                        assertThat(other.target("flowD:1", 2000)).isEqualTo("t");
                    }
                    await().atMost(READY).until(() -> fresh.status("/readyz") == 200);
                }
            }
        }
    }

    /**
     * A taker that goes away after the running process froze (stopped reading its listener sockets
     * and its sessions): the running process thaws and serves on, UDP and TCP, old flows and new.
     * Before the fix, the thawed listener sockets were never polled again (Netty's EPOLL_CTL_DEL for
     * a paused poll, then a MOD that failed).
     */
    @Test
    void aTakeoverThatEndsAfterTheFreezeLeavesTheRunningProcessServingUdpAndTcp() throws Exception {
        Setup s = setup();
        try (PortRecordingTarget target = s.target(); WavelbProcess old = WavelbProcess.start(sub("old"), WavelbProcess.Spec.of(s.yaml(), s.admin()))) {
            awaitLog(old, "takeover: listening on"); // after /readyz: the control socket comes last
            try (UdpClient udp = new UdpClient(s.vip())) {
                assertThat(udp.target("flowG:1", 2000)).isEqualTo("t");
                List<Integer> received = new ArrayList<>();
                try (TakeoverClient taker = TakeoverClient.connect(dir.resolve("state").resolve("control.sock"))) {
                    received.addAll(taker.descriptors(taker.hello().fds()));
                    received.addAll(taker.descriptors(taker.ready().fds()));
                    // The running process has stopped reading: it sends what changed since the snapshot.
                    received.addAll(taker.descriptors(taker.prepared().fds()));
                    assertThat(received).as("the listener sockets and the session's").hasSizeGreaterThanOrEqualTo(3);
                } finally {
                    for (int fd : received) {
                        new io.netty.channel.unix.FileDescriptor(fd).close();
                    }
                }
                awaitLog(old, "this process serves on with everything it had");
                assertThat(udp.target("flowG:2", 2000)).as(old.logTail()).isEqualTo("t");
                try (UdpClient other = new UdpClient(s.vip())) {
                    assertThat(other.target("flowH:1", 2000)).as(old.logTail()).isEqualTo("t");
                }
                try (Socket tcp = new Socket()) {
                    tcp.connect(s.vip(), 5000);
                    tcp.setSoTimeout(5000);
                    tcp.getOutputStream().write("after\n".getBytes(StandardCharsets.UTF_8));
                    assertThat(new BufferedReader(new InputStreamReader(tcp.getInputStream(), StandardCharsets.UTF_8)).readLine())
                            .as(old.logTail()).isEqualTo("after");
                }
                assertThat(s.target().portsByFlow().get("flowG")).as("the thawed session kept its socket").hasSize(1);
            }
        }
    }

    /**
     * A new process whose LimitNOFILE cannot hold the running one's session sockets refuses before
     * any is sent, and says which limit it needs; the running process never stops reading. (Before,
     * it lost sockets to EMFILE halfway and blamed the running process for going away.)
     */
    @Test
    void aNewProcessWithTooFewDescriptorsForTheSessionsRefusesInWordsAndTheOldOneServesOn() throws Exception {
        Setup s = setup();
        List<UdpClient> clients = new ArrayList<>();
        try (PortRecordingTarget target = s.target(); WavelbProcess old = WavelbProcess.start(sub("old"), WavelbProcess.Spec.of(s.yaml(), s.admin()))) {
            awaitLog(old, "takeover: listening on"); // after /readyz: the control socket comes last
            for (int i = 0; i < 300; i++) {
                UdpClient c = new UdpClient(s.vip());
                clients.add(c);
                assertThat(c.target("flowN" + i + ":1", 2000)).isEqualTo("t");
            }
            try (WavelbProcess fresh = WavelbProcess.launch(sub("new"), WavelbProcess.Spec.of(s.yaml(), s.admin())
                    .nofile(200).args("--takeover"))) {
                assertThat(fresh.process().waitFor(60, TimeUnit.SECONDS)).as(fresh.logTail()).isTrue();
                assertThat(fresh.process().exitValue()).isNotZero();
                assertThat(fresh.log()).contains("cannot hold the 300 session socket(s) the running wavelb hands over")
                        .contains("start it with a limit of at least");
            }
            awaitLog(old, "the new process gave up: this process cannot hold the 300 session socket(s)");
            assertThat(old.log()).contains("this process serves on with everything it had");
            for (int i = 0; i < 300; i += 50) {
                assertThat(clients.get(i).target("flowN" + i + ":2", 2000)).as(old.logTail()).isEqualTo("t");
            }
            assertThat(s.target().portsByFlow().get("flowN0")).as("the session kept its socket").hasSize(1);
        } finally {
            clients.forEach(UdpClient::close);
        }
    }

    /**
     * The way out of a descriptor limit set too low: a process whose sessions hold every descriptor
     * is replaced by one started with a higher limit, sessions and all. The control socket answers
     * from a descriptor reserve (before, accept failed with EMFILE and the taker gave up after 10 s).
     */
    @Test
    void aProcessAtItsDescriptorLimitCanBeTakenOverByOneWithAHigherLimit() throws Exception {
        Setup s = setup();
        List<UdpClient> clients = new ArrayList<>();
        try (PortRecordingTarget target = s.target();
             WavelbProcess old = WavelbProcess.start(sub("old"), WavelbProcess.Spec.of(s.yaml(), s.admin()).nofile(220))) {
            awaitLog(old, "takeover: listening on"); // after /readyz: the control socket comes last
            int unanswered = 0;
            for (int i = 0; i < 400 && unanswered < 10; i++) {
                UdpClient c = new UdpClient(s.vip());
                if (c.target("flowL" + i + ":1", 300) == null) {
                    unanswered++;
                    c.close();
                } else {
                    clients.add(c);
                }
            }
            assertThat(unanswered).as("descriptors ran out").isEqualTo(10);
            try (WavelbProcess fresh = WavelbProcess.launch(sub("new"), WavelbProcess.Spec.of(s.yaml(), s.admin())
                    .args("--takeover"))) {
                awaitLog(fresh, "takeover: complete");
                assertThat(old.log()).contains("takeover control socket: cannot accept a connection: ")
                        .contains("gave back one of the control socket's reserved descriptors");
                assertThat(fresh.log()).contains("takeover: " + clients.size() + " of " + clients.size() + " UDP session(s) taken");
                for (int i = 0; i < clients.size(); i += 20) {
                    assertThat(clients.get(i).target("flowL" + i + ":2", 2000)).as(fresh.logTail()).isEqualTo("t");
                }
                assertThat(s.target().portsByFlow().get("flowL0")).as("the session kept its socket").hasSize(1);
            }
        } finally {
            clients.forEach(UdpClient::close);
        }
    }

    @Test
    void theControlSocketRefusesAnotherUser() throws Exception {
        assumeThat(ControlServer.ownUid()).as("needs root to act as another user").isZero();
        Setup s = setup();
        Path socket = dir.resolve("state").resolve("control.sock");
        try (PortRecordingTarget target = s.target(); WavelbProcess old = WavelbProcess.start(sub("old"), WavelbProcess.Spec.of(s.yaml(), s.admin()))) {
            awaitLog(old, "takeover: listening on"); // after /readyz: the control socket comes last
            // The test's own directory open to all: what keeps "nobody" out is wavelb's state directory and socket.
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            String out = Commands.check(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c",
                    "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ntry:\n s.connect(sys.argv[1]); print('connected')\n"
                            + "except OSError as e:\n print('refused', e.errno)", socket.toString()), 30);
            assertThat(out).as("another user connecting to " + socket).contains("refused 13");
            try (UdpClient udp = new UdpClient(s.vip())) {
                assertThat(udp.target("flowE:1", 2000)).isEqualTo("t");
            }
        }
    }
}
