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
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A target on one loopback port for TCP and UDP: UDP datagrams ({@code "flow:seq"}) are echoed
 * behind its name ({@code "t|flow:seq"}, as the shared test targets answer), and
 * the source ports each flow arrived from are recorded (a flow that noticed a restart arrives from
 * a second port); TCP connections are echoed byte for byte.
 */
public final class PortRecordingTarget implements AutoCloseable {

    private final DatagramSocket udp;
    private final ServerSocket tcp;
    private final Map<String, Set<Integer>> portsByFlow = new ConcurrentHashMap<>();
    private final AtomicLong datagrams = new AtomicLong();

    public PortRecordingTarget(int port) throws IOException {
        InetAddress lo = InetAddress.getLoopbackAddress();
        tcp = new ServerSocket();
        tcp.setReuseAddress(true);
        tcp.bind(new InetSocketAddress(lo, port));
        udp = new DatagramSocket(new InetSocketAddress(lo, tcp.getLocalPort()));
        Thread.ofPlatform().daemon().name("target-udp").start(this::serveUdp);
        Thread.ofPlatform().daemon().name("target-tcp").start(this::serveTcp);
    }

    public int port() {
        return tcp.getLocalPort();
    }

    public String address() {
        return "127.0.0.1:" + port();
    }

    /** Each flow's source ports as the target saw them. */
    public Map<String, Set<Integer>> portsByFlow() {
        return Map.copyOf(portsByFlow);
    }

    /** UDP datagrams received. */
    public long datagrams() {
        return datagrams.get();
    }

    private void serveUdp() {
        byte[] buf = new byte[2048];
        while (!udp.isClosed()) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                udp.receive(p);
                String text = new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
                int colon = text.indexOf(':');
                String flow = colon < 0 ? text : text.substring(0, colon);
                portsByFlow.computeIfAbsent(flow, f -> ConcurrentHashMap.newKeySet()).add(p.getPort());
                datagrams.incrementAndGet();
                byte[] reply = ("t|" + text).getBytes(StandardCharsets.UTF_8);
                udp.send(new DatagramPacket(reply, reply.length, p.getSocketAddress()));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serveTcp() {
        while (!tcp.isClosed()) {
            try {
                Socket s = tcp.accept();
                Thread.ofPlatform().daemon().start(() -> {
                    try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                        byte[] b = new byte[4096];
                        int n;
                        while ((n = in.read(b)) > 0) {
                            out.write(b, 0, n);
                            out.flush();
                        }
                    } catch (IOException e) {
                        // the connection ended
                    }
                });
            } catch (SocketException e) {
                return;
            } catch (IOException e) {
                // accept failed; go on
            }
        }
    }

    @Override
    public void close() throws IOException {
        udp.close();
        tcp.close();
    }
}
