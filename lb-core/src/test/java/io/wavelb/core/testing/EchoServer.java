package io.wavelb.core.testing;

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
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test target built on plain JDK sockets, independent of the Netty code under test. UDP: replies
 * {@code name|payload}. TCP: echoes every byte back unchanged. Both on the same port.
 */
public final class EchoServer implements AutoCloseable {

    private final String name;
    private final DatagramSocket udp;
    private final ServerSocket tcp;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicInteger tcpAccepted = new AtomicInteger();
    private volatile boolean closed;

    private EchoServer(String name, InetAddress host) throws IOException {
        this.name = name;
        // The kernel's free TCP port may be a UDP socket's (a busy machine's other tests hold
        // thousands): then another port, at most 50 tries.
        ServerSocket t = null;
        DatagramSocket u = null;
        for (int attempt = 0; u == null; attempt++) {
            t = new ServerSocket();
            t.setReuseAddress(true);
            t.bind(new InetSocketAddress(host, 0), 1024);
            try {
                u = new DatagramSocket(null);
                u.bind(new InetSocketAddress(host, t.getLocalPort()));
            } catch (java.net.BindException inUse) {
                u.close();
                u = null;
                t.close();
                if (attempt == 49) {
                    throw inUse;
                }
            }
        }
        this.tcp = t;
        this.udp = u;
        threads.submit(this::serveUdp);
        threads.submit(this::acceptTcp);
    }

    public static EchoServer start(String name) throws IOException {
        return start(name, InetAddress.getLoopbackAddress());
    }

    public static EchoServer start(String name, InetAddress host) throws IOException {
        return new EchoServer(name, host);
    }

    public String name() {
        return name;
    }

    public int port() {
        return tcp.getLocalPort();
    }

    public String address() {
        String h = tcp.getInetAddress().getHostAddress();
        return (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + port();
    }

    public int tcpAccepted() {
        return tcpAccepted.get();
    }

    private void serveUdp() {
        byte[] in = new byte[65536];
        byte[] prefix = (name + "|").getBytes(StandardCharsets.UTF_8);
        while (!closed) {
            try {
                DatagramPacket p = new DatagramPacket(in, in.length);
                udp.receive(p);
                byte[] out = new byte[prefix.length + p.getLength()];
                System.arraycopy(prefix, 0, out, 0, prefix.length);
                System.arraycopy(p.getData(), p.getOffset(), out, prefix.length, p.getLength());
                udp.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private void acceptTcp() {
        while (!closed) {
            try {
                Socket s = tcp.accept();
                tcpAccepted.incrementAndGet();
                threads.submit(() -> echo(s));
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private static void echo(Socket s) {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            byte[] buf = new byte[16384];
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
            }
            s.shutdownOutput();
        } catch (SocketException ignored) {
            // the peer went away: nothing to echo to
        } catch (IOException ignored) {
            // same
        }
    }

    @Override
    public void close() {
        closed = true;
        udp.close();
        try {
            tcp.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        threads.shutdownNow();
    }
}
