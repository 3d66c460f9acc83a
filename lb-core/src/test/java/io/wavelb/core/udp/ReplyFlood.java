package io.wavelb.core.udp;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.config.AdminConfig;
import io.wavelb.config.Algorithm;
import io.wavelb.config.HostPort;
import io.wavelb.config.ListenerConfig;
import io.wavelb.config.Protocol;
import io.wavelb.config.RuntimeSettings;
import io.wavelb.config.TargetConfig;
import io.wavelb.config.TargetGroupConfig;
import io.wavelb.config.TcpSettings;
import io.wavelb.config.Transport;
import io.wavelb.config.UdpSettings;
import io.wavelb.config.WavelbConfig;
import io.wavelb.core.LoadBalancer;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.stats.ListenerStats;
import io.wavelb.core.testing.Commands;
import io.wavelb.core.testing.LeakCheckExtension;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Run by {@link ClientBusySystemTest} as a JVM inside the balancer's network namespace: a target on
 * 127.0.0.1 that answers {@code burst} with {@link #BURST} replies of {@link #REPLY_BYTES} bytes and
 * {@code ping:N} with {@code pong:N}; a balancer with one loop on the namespace's veth address; a
 * client socket made in the client's namespace (this thread {@code setns}s into it), so the replies
 * leave the listener socket through the veth. With {@code tbf} a token bucket of 8 kbit/s is the
 * veth's root qdisc: the replies wait in it, still charged to the listener socket (a veth orphans a
 * packet only when it leaves the qdisc), so the socket's send buffer (the default, 208 KiB; wavelb
 * has no setting for it) fills and {@code sendmmsg} fails with EAGAIN. Sends {@link #REQUESTS}
 * bursts, one after the other once the balancer has accounted for every reply of the last (sent or
 * dropped), then removes the qdisc and checks that a ping is answered. Prints {@code BUSY-RESULT}.
 */
final class ReplyFlood {

    static final int BURST = 32;
    static final int REQUESTS = 8;
    static final int REPLY_BYTES = 1200;
    static final String LB_ADDRESS = "10.201.0.1";
    static final String CLIENT_ADDRESS = "10.201.0.2";
    static final String LB_DEVICE = "vlb";

    private ReplyFlood() { }

    /**
     * {@code args}: {@code tbf}, {@code plain} or {@code nft} (an nftables rule in the balancer's
     * namespace drops the replies on output: each send fails with EPERM), and the client's namespace.
     */
    public static void main(String[] args) throws Exception {
        boolean tbf = args[0].equals("tbf");
        boolean nft = args[0].equals("nft");
        String clientNamespace = args[1];
        String result;
        try (Target target = new Target();
             DatagramChannel clientChannel = socketIn(clientNamespace, new InetSocketAddress(CLIENT_ADDRESS, 0));
             LoadBalancer lb = LoadBalancer.start(config(target.port()))) {
            DatagramSocket client = clientChannel.socket();
            client.setSoTimeout(5000);
            ListenerStats stats = lb.stats("test");
            InetSocketAddress vip = lb.address("test");
            // The session opens on a ping answered before any qdisc is in the way.
            send(client, vip, "ping:0");
            awaitPong(client, 0);
            if (tbf) {
                tc("qdisc", "add", "dev", LB_DEVICE, "root", "tbf", "rate", "8kbit", "burst", "1600", "limit", "10000000");
            }
            if (nft) {
                run("nft", "add", "table", "ip", "wavelbtest");
                run("nft", "add", "chain", "ip", "wavelbtest", "out", "{ type filter hook output priority 0; }");
                run("nft", "add", "rule", "ip", "wavelbtest", "out", "ip", "daddr", CLIENT_ADDRESS, "udp", "sport",
                        Integer.toString(vip.getPort()), "drop");
            }
            // The pong's reply: the client may read it before the loop has counted it, so not read from the counter.
            long base = 1;
            for (int r = 1; r <= REQUESTS; r++) {
                send(client, vip, "burst");
                long expected = base + (long) r * BURST;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                for (int i = 0; i < 10_000 && accounted(stats) < expected && System.nanoTime() < deadline; i++) {
                    Thread.sleep(1);
                }
                assertThat(accounted(stats)).as("replies sent or dropped after burst %d", r).isEqualTo(expected);
            }
            long sent = stats.total(ListenerCounter.DATAGRAMS_TX) - base;
            long busy = stats.total(ListenerCounter.DROPPED_CLIENT_BUSY);
            if (tbf) {
                // Without the qdisc the queued replies are freed and the socket's send buffer with them.
                tc("qdisc", "del", "dev", LB_DEVICE, "root");
            }
            if (nft) {
                run("nft", "delete", "table", "ip", "wavelbtest");
            }
            send(client, vip, "ping:1");
            boolean pong = awaitPong(client, 1);
            result = "BUSY-RESULT mode=" + args[0] + " replies=" + REQUESTS * BURST + " sent=" + sent + " busy=" + busy
                    + " pong=" + pong + " socketErrors=" + stats.total(ListenerCounter.DROPPED_SOCKET_ERROR);
        }
        LeakCheckExtension.provokeReports();
        System.out.println(result);
        System.out.flush();
        System.exit(0);
    }

    private static long accounted(ListenerStats stats) {
        return stats.total(ListenerCounter.DATAGRAMS_TX) + stats.total(ListenerCounter.DROPPED_CLIENT_BUSY)
                + stats.total(ListenerCounter.DROPPED_SOCKET_ERROR);
    }

    private static WavelbConfig config(int targetPort) {
        UdpSettings udp = new UdpSettings(Duration.ofSeconds(300), 100, UdpSettings.DEFAULT_MAX_DATAGRAM_SIZE);
        return new WavelbConfig(AdminConfig.DEFAULTS, new RuntimeSettings(1, Transport.EPOLL, Duration.ofSeconds(2)),
                List.of(new ListenerConfig("test", Protocol.UDP, new HostPort(LB_ADDRESS, 0), "g", udp, TcpSettings.DEFAULTS)),
                List.of(new TargetGroupConfig("g", Algorithm.MAGLEV,
                        List.of(TargetConfig.of(HostPort.parse("127.0.0.1:" + targetPort))), 65537)));
    }

    private static void send(DatagramSocket client, InetSocketAddress to, String text) throws Exception {
        byte[] b = text.getBytes(US_ASCII);
        client.send(new DatagramPacket(b, b.length, to));
    }

    /** Reads (at most 10,000 datagrams, 10 s) until {@code pong:seq}, skipping the bursts' replies still arriving. */
    private static boolean awaitPong(DatagramSocket client, int seq) throws Exception {
        String want = "pong:" + seq;
        byte[] buffer = new byte[65536];
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (int i = 0; i < 10_000 && System.nanoTime() < deadline; i++) {
            DatagramPacket p = new DatagramPacket(buffer, buffer.length);
            try {
                client.receive(p);
            } catch (SocketTimeoutException e) {
                return false;
            }
            if (new String(p.getData(), 0, p.getLength(), US_ASCII).equals(want)) {
                return true;
            }
        }
        return false;
    }

    private static void tc(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("tc"));
        command.addAll(List.of(args));
        run(command.toArray(String[]::new));
    }

    private static void run(String... args) throws Exception {
        List<String> command = List.of(args);
        StringBuilder out = new StringBuilder();
        assertThat(Commands.run(command, out, 20)).as("%s: %s", command, out).isZero();
    }

    /**
     * A UDP socket bound to {@code bind} in the network namespace {@code name}: made by a thread of
     * its own that first moves itself there ({@code setns(2)} applies to the calling thread only; a
     * socket stays in the namespace it was made in).
     */
    private static DatagramChannel socketIn(String name, InetSocketAddress bind) throws Exception {
        CompletableFuture<DatagramChannel> made = new CompletableFuture<>();
        Thread.ofPlatform().name("setns-" + name).start(() -> {
            try {
                Linker linker = Linker.nativeLinker();
                MethodHandle open = linker.downcallHandle(linker.defaultLookup().find("open").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
                        Linker.Option.firstVariadicArg(2));
                MethodHandle setns = linker.downcallHandle(linker.defaultLookup().find("setns").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
                MethodHandle close = linker.downcallHandle(linker.defaultLookup().find("close").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
                int fd;
                try (Arena arena = Arena.ofConfined()) {
                    fd = (int) open.invokeExact(arena.allocateFrom("/var/run/netns/" + name), 0);
                }
                if (fd < 0) {
                    throw new IllegalStateException("cannot open /var/run/netns/" + name);
                }
                int r = (int) setns.invokeExact(fd, 0x40000000); // CLONE_NEWNET
                int ignored = (int) close.invokeExact(fd);
                if (r != 0) {
                    throw new IllegalStateException("setns into " + name + " failed");
                }
                DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET);
                channel.bind(bind);
                made.complete(channel);
            } catch (Throwable t) {
                made.completeExceptionally(t);
            }
        });
        return made.get(10, TimeUnit.SECONDS);
    }

    /** The target: a plain JDK socket on 127.0.0.1 answering on a thread of its own. */
    private static final class Target implements AutoCloseable {

        private final DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        private final Thread thread = Thread.ofPlatform().daemon().name("reply-flood-target").start(this::serve);
        private volatile boolean closed;

        Target() throws Exception {
        }

        int port() {
            return socket.getLocalPort();
        }

        private void serve() {
            byte[] in = new byte[2048];
            byte[] reply = new byte[REPLY_BYTES];
            while (!closed) {
                try {
                    DatagramPacket p = new DatagramPacket(in, in.length);
                    socket.receive(p);
                    String text = new String(p.getData(), 0, p.getLength(), US_ASCII);
                    if (text.equals("burst")) {
                        for (int i = 0; i < BURST; i++) {
                            socket.send(new DatagramPacket(reply, reply.length, p.getSocketAddress()));
                        }
                    } else if (text.startsWith("ping:")) {
                        byte[] pong = ("pong:" + text.substring(5)).getBytes(US_ASCII);
                        socket.send(new DatagramPacket(pong, pong.length, p.getSocketAddress()));
                    }
                } catch (java.io.IOException e) {
                    if (closed) {
                        return;
                    }
                }
            }
        }

        @Override
        public void close() throws InterruptedException {
            closed = true;
            socket.close();
            thread.join(5000);
        }
    }
}
