package io.wavelb.core.peers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wavelb.core.testing.PortRecordingTarget;
import io.wavelb.core.testing.Ports;
import io.wavelb.core.testing.WavelbProcess;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three takeovers in a row under load: 2,000 UDP sessions at a steady rate, 100 long TCP
 * connections echoing all the while, and an iperf3 UDP stream. What must hold: no UDP session's
 * target sees a second source address, no TCP connection is reset or loses a byte (they stay in
 * the processes that accepted them), and the datagrams lost are counted from both ends (the
 * flows' own: sent by the clients, seen by the target, answered back; iperf3's: its server's count).
 */
@Tag("peers")
@Timeout(value = 240, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TakeoverUnderLoadPeerTest {

    private static final int SESSIONS = 2000;
    /** Each session sends every 500 ms: 4,000 datagrams/s through the balancer, echoed back. */
    private static final long SESSION_EVERY_MILLIS = 500;
    private static final int TCP_CONNECTIONS = 100;
    private static final int TAKEOVERS = 3;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    @Test
    void threeTakeoversInARowBreakNoFlow() throws Exception {
        String iperf3 = Peer.require("iperf3", "iperf3");
        int iperfPort = Ports.freeTcpAndUdp();
        int port = Ports.freeTcpAndUdp();
        int iperfVip = Ports.freeTcpAndUdp();
        int admin = Ports.freeTcpAndUdp();
        try (PortRecordingTarget target = new PortRecordingTarget(Ports.freeTcpAndUdp());
             Peer iperfServer = Peer.start(dir, "iperf3-server", List.of(iperf3, "-s", "-B", "127.0.0.1", "-p",
                     Integer.toString(iperfPort)))) {
            String yaml = """
                    admin:
                      listen: 127.0.0.1:%d
                    runtime:
                      event_loops: 2
                      state_dir: %s
                      shutdown_grace_period: 200s
                    listeners:
                      - name: media
                        protocol: tcp_udp
                        listen: 127.0.0.1:%d
                        target_group: echo
                        udp:
                          idle_timeout: 120s
                      - name: iperf
                        protocol: tcp_udp
                        listen: 127.0.0.1:%d
                        target_group: iperf
                        udp:
                          idle_timeout: 120s
                    target_groups:
                      - name: echo
                        targets:
                          - address: %s
                      - name: iperf
                        targets:
                          - address: 127.0.0.1:%d
                    """.formatted(admin, dir.resolve("state"), port, iperfVip, target.address(), iperfPort);
            List<WavelbProcess> processes = new ArrayList<>();
            InetSocketAddress vip = new InetSocketAddress("127.0.0.1", port);
            try {
                WavelbProcess first = WavelbProcess.start(Files.createDirectories(dir.resolve("gen0")), WavelbProcess.Spec.of(yaml, admin));
                processes.add(first);
                await().atMost(Duration.ofSeconds(30)).until(() -> first.log().contains("takeover: listening on"));
                KernelSockets.awaitTcpListening(iperfPort, Duration.ofSeconds(10), "iperf3 server");
                // iperf3 first: its server binds its UDP data port when the test starts, and the 2,000
                // sessions' upstream sockets would otherwise be in the ephemeral range it picked from.
                Peer iperfClient = Peer.start(dir, "iperf3-client", List.of(iperf3, "-c", "127.0.0.1", "-p",
                        Integer.toString(iperfVip), "-u", "-b", "5M", "-l", "1200", "-t", "40", "--json"));
                Thread.sleep(2000);
                try (SessionLoad udp = new SessionLoad(vip, SESSIONS); TcpLoad tcp = new TcpLoad(vip, TCP_CONNECTIONS)) {
                    await().atMost(Duration.ofSeconds(60)).until(() -> udp.answeredFlows() == SESSIONS);
                    for (int k = 1; k <= TAKEOVERS; k++) {
                        WavelbProcess next = WavelbProcess.launch(Files.createDirectories(dir.resolve("gen" + k)),
                                WavelbProcess.Spec.of(yaml, admin).args("--takeover"));
                        processes.add(next);
                        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
                                .until(() -> next.log().contains("takeover: complete") || !next.isAlive());
                        assertThat(next.log()).contains("takeover: complete").contains("UDP session(s) taken");
                        System.out.println("takeover " + k + ": " + grep(next.log(), "takeover: ") + " | old: "
                                + grep(processes.get(k - 1).log(), "takeover: handed over"));
                        Thread.sleep(4000);
                    }
                    assertThat(iperfClient.awaitExit(Duration.ofSeconds(60))).as("iperf3 client's exit status").isZero();
                    JsonTree report = JsonTree.parse(iperfClient.stdout(), "iperf3 client report");
                    double iperfLost = report.number("end.sum.lost_packets");
                    double iperfPackets = report.number("end.sum.packets");
                    udp.stopAndDrain();
                    tcp.stop();

                    Map<String, Set<Integer>> ports = target.portsByFlow();
                    long noticed = ports.values().stream().filter(p -> p.size() > 1).count();
                    String summary = String.format(
                            "UDP sessions: %d sent, %d seen by the target, %d answered (%d lost); flows whose target saw a"
                                    + " second source port: %d of %d; TCP: %d echoes, %d connections broken; iperf3 UDP:"
                                    + " %.0f of %.0f datagrams lost", udp.sent(), target.datagrams(), udp.answered(),
                            udp.sent() - udp.answered(), noticed, ports.size(), tcp.echoes(), tcp.broken(),
                            iperfLost, iperfPackets);
                    System.out.println("takeover under load: " + summary);
                    assertThat(ports).as(summary).hasSize(SESSIONS);
                    assertThat(noticed).as(summary).isZero();
                    assertThat(tcp.broken()).as(summary).isZero();
                    assertThat(tcp.echoes()).as(summary).isPositive();
                    // Goal 0, reported above; not asserted near 0, since how much the kernel queues drop
                    // in a pause depends on how busy the machine is (0.05 % idle, 0.6 % beside a build).
                    // A bound this loose still catches a takeover that stops reading for seconds.
                    assertThat(udp.sent() - udp.answered()).as(summary).isLessThanOrEqualTo(udp.sent() * 3 / 100);
                    assertThat(iperfLost).as(summary).isLessThanOrEqualTo(iperfPackets * 3 / 100);
                }
            } finally {
                for (WavelbProcess p : processes) {
                    p.close();
                }
            }
            assertThat(iperfServer.exited()).as("the iperf3 server ran throughout").isFalse();
        }
    }

    private static String grep(String log, String text) {
        return log.lines().filter(l -> l.contains(text)).reduce((a, b) -> b).orElse("(none)");
    }

    /** Many UDP sessions (a socket each) on one thread: round-robin sends, replies read as they come. */
    static final class SessionLoad implements AutoCloseable {
        private final Selector selector = Selector.open();
        private final List<DatagramChannel> channels = new ArrayList<>();
        private final int[] answeredBy;
        private final AtomicLong sent = new AtomicLong();
        private final AtomicLong answered = new AtomicLong();
        private final AtomicBoolean sending = new AtomicBoolean(true);
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        SessionLoad(InetSocketAddress vip, int sessions) throws IOException {
            answeredBy = new int[sessions];
            for (int i = 0; i < sessions; i++) {
                DatagramChannel ch = DatagramChannel.open();
                ch.bind(new InetSocketAddress("127.0.0.1", 0));
                ch.connect(vip);
                ch.configureBlocking(false);
                ch.register(selector, SelectionKey.OP_READ, i);
                channels.add(ch);
            }
            thread = Thread.ofPlatform().daemon().name("session-load").start(this::run);
        }

        private void run() {
            ByteBuffer in = ByteBuffer.allocate(2048);
            int n = channels.size();
            long slotNanos = TimeUnit.MILLISECONDS.toNanos(SESSION_EVERY_MILLIS) / n;
            long next = System.nanoTime();
            int cursor = 0;
            long seq = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            try {
                while (running.get() && System.nanoTime() < deadline) {
                    long now = System.nanoTime();
                    while (sending.get() && now >= next) {
                        DatagramChannel ch = channels.get(cursor);
                        byte[] out = ("flow" + cursor + ":" + (seq++)).getBytes(StandardCharsets.UTF_8);
                        sent.incrementAndGet();
                        try {
                            ch.write(ByteBuffer.wrap(out));
                        } catch (IOException e) {
                            // lost: counted as sent and never answered
                        }
                        cursor = (cursor + 1) % n;
                        next += slotNanos;
                    }
                    selector.select(1);
                    for (SelectionKey key : selector.selectedKeys()) {
                        DatagramChannel ch = (DatagramChannel) key.channel();
                        while (true) {
                            in.clear();
                            int read;
                            try {
                                read = ch.read(in);
                            } catch (IOException e) {
                                break;
                            }
                            if (read <= 0) {
                                break;
                            }
                            answered.incrementAndGet();
                            answeredBy[(Integer) key.attachment()]++;
                        }
                    }
                    selector.selectedKeys().clear();
                }
            } catch (IOException e) {
                // the selector closed
            }
        }

        long sent() {
            return sent.get();
        }

        long answered() {
            return answered.get();
        }

        int answeredFlows() {
            int flows = 0;
            for (int a : answeredBy) {
                if (a > 0) {
                    flows++;
                }
            }
            return flows;
        }

        /** Stops sending and reads the replies still on their way for two seconds. */
        void stopAndDrain() throws InterruptedException {
            sending.set(false);
            Thread.sleep(2000);
            running.set(false);
            thread.join(5000);
        }

        @Override
        public void close() throws IOException, InterruptedException {
            sending.set(false);
            running.set(false);
            thread.join(5000);
            for (DatagramChannel ch : channels) {
                ch.close();
            }
            selector.close();
        }
    }

    /** Long TCP connections, each echoing a line in turn; any failure is a broken connection. */
    static final class TcpLoad implements AutoCloseable {
        private final List<Socket> sockets = new ArrayList<>();
        private final AtomicInteger broken = new AtomicInteger();
        private final AtomicLong echoes = new AtomicLong();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        TcpLoad(InetSocketAddress vip, int connections) throws IOException {
            for (int i = 0; i < connections; i++) {
                Socket s = new Socket();
                s.setOption(StandardSocketOptions.TCP_NODELAY, true);
                s.connect(vip, 5000);
                s.setSoTimeout(5000);
                sockets.add(s);
            }
            thread = Thread.ofPlatform().daemon().name("tcp-load").start(this::run);
        }

        private void run() {
            List<BufferedReader> readers = new ArrayList<>();
            boolean[] dead = new boolean[sockets.size()];
            try {
                for (Socket s : sockets) {
                    readers.add(new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)));
                }
            } catch (IOException e) {
                broken.addAndGet(sockets.size());
                return;
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            for (long round = 0; running.get() && System.nanoTime() < deadline; round++) {
                for (int i = 0; i < sockets.size() && running.get(); i++) {
                    if (dead[i]) {
                        continue;
                    }
                    String line = "conn" + i + ":" + round;
                    try {
                        OutputStream out = sockets.get(i).getOutputStream();
                        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                        out.flush();
                        if (!line.equals(readers.get(i).readLine())) {
                            throw new IOException("echo mismatch");
                        }
                        echoes.incrementAndGet();
                    } catch (IOException e) {
                        dead[i] = true;
                        broken.incrementAndGet();
                    }
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        int broken() {
            return broken.get();
        }

        long echoes() {
            return echoes.get();
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join(10_000);
        }

        @Override
        public void close() throws IOException, InterruptedException {
            stop();
            for (Socket s : sockets) {
                s.close();
            }
        }
    }
}
