package io.wavelb.core.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The chaos tests' witness: one UDP flow and one TCP connection through the balancer to an
 * {@link EchoServer}, each asking one request every {@code period} on its own thread while the
 * test applies pressure, and counting what was answered. "Served" means the right bytes came back
 * within {@link #ANSWER_LIMIT}; anything else is a miss. Bounded: at most {@code maxRequests}
 * requests each, and {@link #close} stops both.
 */
public final class ControlFlows implements AutoCloseable {

    /** How long one request may take before it counts as a miss (generous: a busy CI machine). */
    public static final Duration ANSWER_LIMIT = Duration.ofSeconds(2);

    private final Flow udp;
    private final Flow tcp;

    private ControlFlows(Flow udp, Flow tcp) {
        this.udp = udp;
        this.tcp = tcp;
    }

    /**
     * Starts both flows against a {@code tcp_udp} (or a UDP and a TCP) listener; either address may
     * be null to run only the other flow.
     */
    public static ControlFlows start(InetSocketAddress udpVip, InetSocketAddress tcpVip, Duration period, int maxRequests)
            throws IOException {
        Flow u = udpVip == null ? null : new Flow("udp", new UdpAsker(udpVip), period, maxRequests);
        Flow t = tcpVip == null ? null : new Flow("tcp", new TcpAsker(tcpVip), period, maxRequests);
        return new ControlFlows(u, t);
    }

    /** The UDP flow's counts; null when it was not started. */
    public Flow udp() {
        return udp;
    }

    /** The TCP connection's counts; null when it was not started. */
    public Flow tcp() {
        return tcp;
    }

    /** Both flows' summaries, for assertion messages. */
    public String summary() {
        return (udp == null ? "" : udp + " ") + (tcp == null ? "" : tcp.toString());
    }

    @Override
    public void close() throws InterruptedException {
        if (udp != null) {
            udp.stop();
        }
        if (tcp != null) {
            tcp.stop();
        }
    }

    /** One request and its answer: true when the right bytes came back in time. */
    private interface Asker extends AutoCloseable {
        boolean ask(int n) throws IOException;

        @Override
        void close();
    }

    /** One control flow on its own thread. */
    public static final class Flow {
        private final String name;
        private final Asker asker;
        private final AtomicInteger asked = new AtomicInteger();
        private final AtomicInteger answered = new AtomicInteger();
        private final Thread thread;
        private volatile boolean stopping;
        private volatile String lastFailure = "";

        private Flow(String name, Asker asker, Duration period, int maxRequests) {
            this.name = name;
            this.asker = asker;
            this.thread = Thread.ofPlatform().daemon().name("control-" + name).start(() -> {
                for (int i = 0; i < maxRequests && !stopping; i++) {
                    long started = System.nanoTime();
                    asked.incrementAndGet();
                    try {
                        if (asker.ask(i)) {
                            answered.incrementAndGet();
                        }
                    } catch (IOException e) {
                        lastFailure = e.toString();
                    }
                    long left = period.toNanos() - (System.nanoTime() - started);
                    if (left > 0) {
                        try {
                            Thread.sleep(Duration.ofNanos(left));
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }
            });
        }

        public int asked() {
            return asked.get();
        }

        public int answered() {
            return answered.get();
        }

        /** Answered / asked; 1 when nothing was asked yet. */
        public double servedFraction() {
            int a = asked.get();
            return a == 0 ? 1.0 : answered.get() / (double) a;
        }

        void stop() throws InterruptedException {
            stopping = true;
            thread.join(ANSWER_LIMIT.toMillis() * 3);
            asker.close();
        }

        @Override
        public String toString() {
            return name + ": " + answered.get() + "/" + asked.get() + " answered"
                    + (lastFailure.isEmpty() ? "" : " (last failure: " + lastFailure + ")");
        }
    }

    /** Asks over one UDP socket (one 4-tuple, one session) for the flow's whole life. */
    private static final class UdpAsker implements Asker {
        private final DatagramSocket socket;
        private final InetSocketAddress vip;
        private final byte[] in = new byte[2048];

        UdpAsker(InetSocketAddress vip) throws IOException {
            this.vip = vip;
            this.socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            socket.setSoTimeout((int) ANSWER_LIMIT.toMillis());
        }

        @Override
        public boolean ask(int n) throws IOException {
            byte[] out = ("control-" + n).getBytes(StandardCharsets.UTF_8);
            socket.send(new DatagramPacket(out, out.length, vip));
            long deadline = System.nanoTime() + ANSWER_LIMIT.toNanos();
            // A late answer to an earlier request may arrive first: skip it, look for this one.
            while (System.nanoTime() < deadline) {
                DatagramPacket reply = new DatagramPacket(in, in.length);
                try {
                    socket.receive(reply);
                } catch (SocketTimeoutException e) {
                    return false;
                }
                String text = new String(in, 0, reply.getLength(), StandardCharsets.UTF_8);
                if (text.endsWith("|control-" + n)) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public void close() {
            socket.close();
        }
    }

    /**
     * Asks over one long TCP connection; after a miss the connection may hold a late answer, so it
     * is replaced by a new one (which also tests that new connections are still admitted).
     */
    private static final class TcpAsker implements Asker {
        private final InetSocketAddress vip;
        private Socket socket;

        TcpAsker(InetSocketAddress vip) {
            this.vip = vip;
        }

        @Override
        public boolean ask(int n) throws IOException {
            try {
                if (socket == null) {
                    socket = new Socket();
                    socket.connect(vip, (int) ANSWER_LIMIT.toMillis());
                    socket.setSoTimeout((int) ANSWER_LIMIT.toMillis());
                    socket.setTcpNoDelay(true);
                }
                byte[] out = String.format("control-%08d\n", n).getBytes(StandardCharsets.UTF_8);
                OutputStream os = socket.getOutputStream();
                os.write(out);
                os.flush();
                byte[] back = new byte[out.length];
                InputStream is = socket.getInputStream();
                int got = 0;
                while (got < back.length) {
                    int r = is.read(back, got, back.length - got);
                    if (r < 0) {
                        throw new IOException("connection closed by the balancer after " + got + " bytes");
                    }
                    got += r;
                }
                if (!Arrays.equals(out, back)) {
                    throw new IOException("echo mismatch");
                }
                return true;
            } catch (IOException e) {
                close();
                throw e;
            }
        }

        @Override
        public void close() {
            if (socket != null) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // closing
                }
                socket = null;
            }
        }
    }
}
