package io.wavelb.core.cli;

import io.wavelb.config.ConfigLoader;
import io.wavelb.config.RuntimeSettings;
import io.wavelb.config.WavelbConfig;
import io.wavelb.core.LoadBalancer;
import io.wavelb.core.Wavelb;
import io.wavelb.core.takeover.ControlServer;
import io.wavelb.core.takeover.TakeoverClient;
import io.wavelb.core.takeover.TakeoverStats;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Runs wavelb's own packet paths on loopback before the real listeners bind ({@code runtime.warm_up}),
 * so the JIT has compiled them when the first real datagram arrives: a cold JVM reads the first
 * datagrams in the interpreter, slowly enough that the kernel drops most of a 30 kpps stream's first
 * second (benchmarks/README.md, "Cold start"). A private balancer on the same event-loop count,
 * transport and memory budget as the real one, in front of an echo on 127.0.0.1: a steady UDP
 * listener (bursts from a few flows, 64 and 1200 bytes), a one-shot UDP listener (a session per
 * datagram: the open and close paths) and a TCP listener (connect, one exchange, close); then its
 * admin endpoint (scrapes) and a control socket of its own (takeover), each once.
 *
 * <p>Bounded: traffic for at most {@code runtime.warm_up} after the private balancer started (its
 * start, mostly class loading the real start then skips, comes on top), ended early once the
 * steady flows have had {@link #ENOUGH_DATAGRAMS} echoed or the JIT has compiled nothing for
 * {@link #SETTLED_MILLIS}; {@link #FLOWS} steady sockets, at most
 * {@link #MAX_ONE_SHOTS_WAITING} one-shot ones, {@link #MAX_IN_FLIGHT} datagrams in flight and one
 * TCP connection at a time, all closed before it returns. It never stops a start: anything that
 * fails is logged and the warm-up skipped.
 */
final class WarmUp {

    /** Steady UDP flows, each sending bursts of {@link #BURST}. */
    static final int FLOWS = 8;
    static final int BURST = 4;
    /**
     * Twice every {@link #LONG_BURST_EVERY} rounds (once per size) one flow sends this many at
     * once: more than one wake-up's receive calls take, more than a GSO train starts with room
     * for, more than an upstream's reads per event. A branch the warm-up never takes is compiled
     * as a trap: the first real burst after the bind (a cold start's backlog) would deoptimize the
     * datagram path and send it back to the interpreter, long enough to overflow the socket's
     * receive queue (benchmarks/README.md, "Cold start").
     */
    static final int LONG_BURST = 80;
    static final int LONG_BURST_EVERY = 16;
    /**
     * Steady datagrams echoed that end the warm-up: the work C2 needs to see, not a time. A method
     * run once per wake-up of the event loop counts one invocation per wake-up and one loop
     * iteration per datagram, and C2 compiles it once they add up to HotSpot's Tier4CompileThreshold
     * (15,000); below it the datagram path stays in C1's profiling code, about half as fast.
     * A time alone does not do: on a core the warm-up shares (a takeover beside the process it
     * takes over, a busy host) 2 s echoed 5-6 thousand here against 12-14 thousand on an idle
     * one, and the new process then lost ~4,500 datagrams of a 30 kpps stream in its first second
     * (benchmarks/README.md, "Cold start").
     */
    static final long ENOUGH_DATAGRAMS = 20_000;
    /** Quiet JIT for this long (after {@link #MIN_MILLIS}): nothing left to compile. */
    static final long SETTLED_MILLIS = 300;
    static final long MIN_MILLIS = 500;
    private static final int RECEIVE_TIMEOUT_MILLIS = 20;
    private static final int MAX_IN_FLIGHT = 512;
    private static final int MAX_ONE_SHOTS_WAITING = 64;
    private static final System.Logger LOG = System.getLogger("wavelb");

    /** What one warm-up did, and what ended it. */
    record Done(long datagrams, long oneShotFlows, long connections, long millis, End end) {

        /** The log line's text: what the warm-up did and why it stopped. */
        String summary() {
            return datagrams + " datagrams, " + oneShotFlows + " one-shot UDP flows, " + connections
                    + " TCP connections in " + millis + " ms (" + end.why + ")";
        }
    }

    /** Why a warm-up stopped. */
    enum End {
        ENOUGH("enough traffic"),
        SETTLED("nothing left to compile"),
        BOUND("runtime.warm_up reached before enough traffic");

        private final String why;

        End(String why) {
            this.why = why;
        }
    }

    private WarmUp() {
    }

    /** Warms up for at most {@code runtime.warmUp()}; null when there is none or it failed (logged). */
    static Done run(RuntimeSettings runtime) {
        return run(runtime, ENOUGH_DATAGRAMS);
    }

    /** As {@link #run(RuntimeSettings)}, ending once {@code enough} steady datagrams were echoed (tests). */
    static Done run(RuntimeSettings runtime, long enough) {
        Duration limit = runtime.warmUp();
        if (limit.isZero()) {
            return null;
        }
        long started = System.nanoTime();
        // The private balancer's start and stop lines would read like the real one's (an admin
        // endpoint on another port): only its warnings are logged.
        Quiet quiet = new Quiet();
        try (Echo echo = Echo.start()) {
            try (Wavelb warm = Wavelb.start(config(runtime, echo.port()), Optional.empty())) {
                // The bound is on the traffic: the private balancer's own start is warming up too
                // (class loading the real start then skips), and would otherwise eat the budget.
                long driving = System.nanoTime();
                Done done = drive(warm.balancer(), driving, driving + limit.toNanos(), enough);
                // `wavelb run` starts its admin endpoint before the listeners bind, but a takeover's new
                // process only once its listeners read (the process taken over holds the port until
                // then), and a scrape may come in any first second: its first start and scrape (HTTP
                // codec, metrics registry) would take the CPU from the first datagrams.
                scrape(warm.balancer().config().admin().listen().port());
                // The same for the control socket a takeover's new process opens once it reads (a
                // Unix socket server of its own, on classes nothing else loads): once, on a private
                // path, answered once.
                controlSocket(warm);
                drained(warm.balancer());
                quiet.close();
                LOG.log(System.Logger.Level.INFO, "warm-up: " + done.summary());
                return done;
            }
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "warm-up skipped: " + e);
            return null;
        } finally {
            quiet.close();
            // The warm-up's garbage, collected now rather than by a young collection in the real
            // listeners' first second (a 10-20 ms pause here: at 30 kpps, more than the default
            // socket receive queue holds).
            System.gc();
        }
    }

    /**
     * Waits (at most {@link #DRAIN_MILLIS}) for the private balancer's last TCP connections to end
     * the way the warm-up ends them, with resets. Closed instead by its shutdown after the grace
     * period, they would end with FINs, leaving their ephemeral ports in TIME_WAIT for a minute:
     * a port the real config (or a test) binds next could be one of them, and be refused.
     */
    private static void drained(io.wavelb.core.LoadBalancer lb) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DRAIN_MILLIS);
        while (System.nanoTime() - deadline < 0) {
            int open = 0;
            for (io.wavelb.core.listener.Listener l : lb.listeners()) {
                if (l instanceof io.wavelb.core.tcp.TcpListener) {
                    open += l.activeFlows();
                }
            }
            if (open == 0) {
                return;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static final long DRAIN_MILLIS = 1000;

    /** Warnings only from wavelb's loggers ({@code wavelb}, {@code io.wavelb.*}) until closed. */
    private static final class Quiet implements AutoCloseable {

        private final java.util.logging.Logger[] loggers = {
            java.util.logging.Logger.getLogger("wavelb"), java.util.logging.Logger.getLogger("io.wavelb")};
        private final java.util.logging.Level[] levels = new java.util.logging.Level[loggers.length];
        private boolean closed;

        Quiet() {
            for (int i = 0; i < loggers.length; i++) {
                levels[i] = loggers[i].getLevel();
                loggers[i].setLevel(java.util.logging.Level.WARNING);
            }
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                for (int i = 0; i < loggers.length; i++) {
                    loggers[i].setLevel(levels[i]);
                }
            }
        }
    }

    private static WavelbConfig config(RuntimeSettings runtime, int echoPort) throws Exception {
        String yaml = """
                admin:
                  listen: 127.0.0.1:%d
                listeners:
                  - name: warm-up-udp
                    protocol: udp
                    listen: 127.0.0.1:%d
                    target_group: echo
                  - name: warm-up-one-shot
                    protocol: udp
                    listen: 127.0.0.1:%d
                    target_group: echo
                    udp:
                      max_responses: 1
                  - name: warm-up-tcp
                    protocol: tcp
                    listen: 127.0.0.1:%d
                    target_group: echo
                target_groups:
                  - name: echo
                    targets:
                      - address: 127.0.0.1:%d
                """.formatted(freePort(), freePort(), freePort(), freePort(), echoPort);
        return ConfigLoader.parse(yaml, "warm-up").withRuntime(runtime);
    }

    /** A port free on 127.0.0.1 for TCP and UDP a moment ago (the warm-up fails, logged, if taken since). */
    private static int freePort() throws IOException {
        for (int attempt = 0; attempt < 20; attempt++) {
            try (ServerSocket tcp = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                int port = tcp.getLocalPort();
                try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
                    return port;
                } catch (SocketException taken) {
                    // UDP port in use: another
                }
            }
        }
        throw new IOException("no free loopback port for the warm-up");
    }

    private static Done drive(LoadBalancer lb, long started, long deadline, long enough) throws IOException {
        InetSocketAddress steady = lb.address("warm-up-udp");
        InetSocketAddress oneShot = lb.address("warm-up-one-shot");
        InetSocketAddress tcp = lb.address("warm-up-tcp");
        JitQuiet jit = new JitQuiet();
        long datagrams = 0;
        long oneShots = 0;
        long connections = 0;
        List<DatagramChannel> flows = new ArrayList<>();
        ArrayDeque<DatagramChannel> once = new ArrayDeque<>();
        ByteBuffer small = ByteBuffer.allocateDirect(64);
        ByteBuffer large = ByteBuffer.allocateDirect(1200);
        ByteBuffer in = ByteBuffer.allocateDirect(2048);
        // Datagrams sent and not yet echoed: sending stops at MAX_IN_FLIGHT, so a slow (cold) path
        // is not flooded into drops, and goes on as replies come back (or time out: a lost one).
        long inFlight = 0;
        long lastReplyNanos = System.nanoTime();
        End end;
        try {
            for (int i = 0; i < FLOWS; i++) {
                DatagramChannel c = DatagramChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                c.connect(steady);
                c.configureBlocking(false);
                flows.add(c);
            }
            for (long round = 0; ; round++) {
                long now = System.nanoTime();
                if (datagrams >= enough) {
                    end = End.ENOUGH;
                    break;
                }
                if (now >= deadline) {
                    end = End.BOUND;
                    break;
                }
                if (jit.quietFor(TimeUnit.MILLISECONDS.toNanos(SETTLED_MILLIS), now)
                        && now - started >= TimeUnit.MILLISECONDS.toNanos(MIN_MILLIS)) {
                    end = End.SETTLED;
                    break;
                }
                if (now - lastReplyNanos > TimeUnit.MILLISECONDS.toNanos(RECEIVE_TIMEOUT_MILLIS)) {
                    inFlight = 0; // what is out by now is lost
                }
                if (inFlight < MAX_IN_FLIGHT) {
                    ByteBuffer payload = round % 2 == 0 ? small : large;
                    for (int f = 0; f < flows.size(); f++) {
                        int burst = f == 0 && round % LONG_BURST_EVERY < 2 ? LONG_BURST : BURST; // 64 and 1200 B
                        for (int i = 0; i < burst; i++) {
                            flows.get(f).write(payload.clear());
                            inFlight++;
                        }
                    }
                }
                boolean any = false;
                for (DatagramChannel c : flows) {
                    while (c.read(in.clear()) > 0) {
                        datagrams++;
                        inFlight--;
                        any = true;
                    }
                }
                if (any) {
                    lastReplyNanos = now;
                }
                if (round % 8 == 0) {
                    DatagramChannel c = DatagramChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                    c.connect(oneShot);
                    c.configureBlocking(false);
                    c.write(small.clear());
                    once.add(c);
                }
                for (var it = once.iterator(); it.hasNext(); ) {
                    DatagramChannel c = it.next();
                    if (c.read(in.clear()) > 0) {
                        oneShots++;
                        c.close();
                        it.remove();
                    }
                }
                while (once.size() > MAX_ONE_SHOTS_WAITING) {
                    once.poll().close(); // unanswered: lost
                }
                if (round % 64 == 0 && exchange(tcp, new byte[64])) {
                    connections++;
                }
                if (!any) {
                    Thread.onSpinWait();
                }
            }
        } finally {
            for (DatagramChannel c : flows) {
                c.close();
            }
            for (DatagramChannel c : once) {
                c.close();
            }
        }
        return new Done(datagrams, oneShots, connections, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), end);
    }

    /** Starts a control socket (takeover) in a private directory, connects to it once, closes both. */
    private static void controlSocket(Wavelb warm) {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("wavelb-warm-up-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Path socket = dir.resolve(RuntimeSettings.CONTROL_SOCKET);
            ControlServer server = ControlServer.start(socket, warm.balancer().runningSide(), new ControlServer.Events() {
                @Override
                public Process startSuccessor() throws IOException {
                    throw new IOException("not during the warm-up");
                }

                @Override
                public void handingOver(long newPid) {
                }

                @Override
                public void handedOver(long newPid) {
                }
            }, new TakeoverStats());
            try {
                TakeoverClient.connect(socket).close();
            } finally {
                server.close();
            }
        } catch (IOException | RuntimeException e) {
            // nothing to warm then (no epoll, no temporary directory)
        } finally {
            if (dir != null) {
                try {
                    Files.deleteIfExists(dir.resolve(RuntimeSettings.CONTROL_SOCKET));
                    Files.deleteIfExists(dir);
                } catch (IOException e) {
                    // a leftover empty directory in the temporary directory
                }
            }
        }
    }

    /** GET /metrics and /healthz from the warm-up's admin endpoint; what they answer does not matter. */
    private static void scrape(int adminPort) {
        for (String path : List.of("/metrics", "/healthz", "/metrics")) {
            try (Socket s = new Socket()) {
                s.setSoTimeout(RECEIVE_TIMEOUT_MILLIS * 50);
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), adminPort), RECEIVE_TIMEOUT_MILLIS * 50);
                s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                s.getInputStream().readAllBytes();
            } catch (IOException e) {
                // nothing to warm then
            }
        }
    }

    private static boolean exchange(InetSocketAddress tcp, byte[] payload) {
        try (Socket s = new Socket()) {
            // Closed with a reset, as the echo closes its side: a connection closed with FINs
            // leaves its ephemeral port in TIME_WAIT for a minute, and a listener the real config
            // binds on that port (a port in the ephemeral range) would be refused.
            s.setSoLinger(true, 0);
            s.setSoTimeout(RECEIVE_TIMEOUT_MILLIS * 10);
            s.connect(tcp, RECEIVE_TIMEOUT_MILLIS * 10);
            s.getOutputStream().write(payload);
            InputStream in = s.getInputStream();
            int got = 0;
            byte[] back = new byte[payload.length];
            while (got < back.length) {
                int n = in.read(back, got, back.length - got);
                if (n < 0) {
                    return false;
                }
                got += n;
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The warm-up's target: UDP and TCP echo on one loopback port, on threads of its own. */
    private static final class Echo implements AutoCloseable {

        private final DatagramSocket udp;
        private final ServerSocket tcp;
        // Platform threads: a blocking socket on a virtual thread waits through the JDK's poller, slower.
        private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "wavelb-warm-up-echo");
            t.setDaemon(true);
            return t;
        });

        private Echo(DatagramSocket udp, ServerSocket tcp) {
            this.udp = udp;
            this.tcp = tcp;
        }

        static Echo start() throws IOException {
            for (int attempt = 0; attempt < 20; attempt++) {
                ServerSocket tcp = new ServerSocket(0, 64, InetAddress.getLoopbackAddress());
                try {
                    DatagramSocket udp = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                            tcp.getLocalPort()));
                    Echo echo = new Echo(udp, tcp);
                    echo.threads.submit(echo::serveUdp);
                    echo.threads.submit(echo::acceptTcp);
                    return echo;
                } catch (SocketException taken) {
                    tcp.close();
                }
            }
            throw new IOException("no free loopback port for the warm-up's echo");
        }

        int port() {
            return tcp.getLocalPort();
        }

        private void serveUdp() {
            byte[] buf = new byte[2048];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            while (!udp.isClosed()) {
                try {
                    p.setLength(buf.length);
                    udp.receive(p);
                    udp.send(p);
                } catch (IOException e) {
                    // closed, or a send the kernel refused: the next one goes on
                }
            }
        }

        private void acceptTcp() {
            while (!tcp.isClosed()) {
                try {
                    Socket s = tcp.accept();
                    threads.submit(() -> echo(s));
                } catch (IOException e) {
                    // closed
                }
            }
        }

        private static void echo(Socket s) {
            try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                s.setSoLinger(true, 0); // see exchange: no TIME_WAIT left behind
                byte[] buf = new byte[2048];
                int n;
                while ((n = in.read(buf)) > 0) {
                    out.write(buf, 0, n);
                }
            } catch (IOException e) {
                // the client closed
            }
        }

        @Override
        public void close() {
            udp.close();
            try {
                tcp.close();
            } catch (IOException e) {
                // nothing left to do
            }
            threads.shutdownNow();
        }
    }
}
