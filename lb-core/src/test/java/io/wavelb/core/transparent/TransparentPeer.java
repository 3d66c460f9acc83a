package io.wavelb.core.transparent;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * The two ends of {@link TransparentSystemTest}, each a JVM in its own network namespace, on plain
 * JDK sockets (so the peer is not the code under test).
 *
 * <ul>
 *   <li>{@code target NAME PORT}: UDP and TCP on {@code [::]:PORT} (both families); each datagram and
 *       each connection's first line is answered with {@code NAME IP PORT}, the source it came from;
 *   <li>{@code udp|tcp HOST PORT FLOWS}: that many flows, each from a new socket, each printing
 *       {@code flow LOCAL_IP LOCAL_PORT REPLY...} (or {@code lost ...} when no reply came in 5 tries);
 *   <li>{@code udp-collide HOST PORT1 PORT2}: one socket to both ports: {@code first REPLY},
 *       {@code second REPLY|none};
 *   <li>{@code tcp-collide HOST PORT1 PORT2}: two connections from one local port to both ports,
 *       both open at once: {@code local PORT}, {@code first REPLY}, {@code second REPLY}.
 * </ul>
 */
public final class TransparentPeer {

    private TransparentPeer() {
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "target" -> target(args[1], Integer.parseInt(args[2]));
            case "udp" -> udpFlows(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]));
            case "tcp" -> tcpFlows(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]));
            case "udp-collide" -> udpCollide(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]));
            case "tcp-collide" -> tcpCollide(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]));
            default -> throw new IllegalArgumentException(args[0]);
        }
        System.out.flush();
    }

    private static String seen(InetAddress address, int port) {
        // An IPv4 client on the dual-stack socket arrives IPv4-mapped: print it as IPv4.
        return address.getHostAddress().replaceFirst("^::ffff:", "").replaceFirst("%.*$", "") + " " + port;
    }

    private static void target(String name, int port) throws IOException {
        DatagramSocket udp = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("::"), port));
        ServerSocket tcp = new ServerSocket();
        tcp.setReuseAddress(true);
        tcp.bind(new InetSocketAddress(InetAddress.getByName("::"), port));
        Thread.ofPlatform().daemon().start(() -> {
            while (true) {
                try {
                    Socket s = tcp.accept();
                    Thread.ofVirtual().start(() -> {
                        try (s) {
                            s.setSoTimeout(10_000);
                            new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
                            OutputStream out = s.getOutputStream();
                            out.write((name + " " + seen(s.getInetAddress(), s.getPort()) + "\n").getBytes(StandardCharsets.UTF_8));
                            out.flush();
                            // Let the client close first: the target is not where TIME_WAIT should be.
                            s.getInputStream().read();
                        } catch (IOException ignored) {
                            // the client left
                        }
                    });
                } catch (IOException e) {
                    return;
                }
            }
        });
        System.out.println("ready");
        System.out.flush();
        byte[] buf = new byte[2048];
        while (true) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            udp.receive(p);
            byte[] reply = (name + " " + seen(p.getAddress(), p.getPort())).getBytes(StandardCharsets.UTF_8);
            udp.send(new DatagramPacket(reply, reply.length, p.getSocketAddress()));
        }
    }

    /** A reply to "hi" on {@code socket}, tried up to 5 times (a datagram may be lost while routes settle); null when none came. */
    private static String ask(DatagramSocket socket, InetSocketAddress to) throws IOException {
        byte[] hi = "hi".getBytes(StandardCharsets.UTF_8);
        socket.setSoTimeout(1000);
        for (int attempt = 0; attempt < 5; attempt++) {
            socket.send(new DatagramPacket(hi, hi.length, to));
            DatagramPacket p = new DatagramPacket(new byte[2048], 2048);
            try {
                socket.receive(p);
                return new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
            } catch (SocketTimeoutException | PortUnreachableException e) {
                // again: lost, or nothing listens yet
            }
        }
        return null;
    }

    private static void udpFlows(String host, int port, int flows) throws IOException {
        InetSocketAddress to = new InetSocketAddress(InetAddress.getByName(host), port);
        for (int i = 0; i < flows; i++) {
            try (DatagramSocket s = new DatagramSocket()) {
                s.connect(to);
                String reply = ask(s, to);
                System.out.println((reply == null ? "lost " : "flow ") + seen(s.getLocalAddress(), s.getLocalPort())
                        + (reply == null ? "" : " " + reply));
            }
        }
    }

    private static String tcpAsk(Socket s) throws IOException {
        s.setSoTimeout(5000);
        s.getOutputStream().write("hi\n".getBytes(StandardCharsets.UTF_8));
        s.getOutputStream().flush();
        return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
    }

    private static void tcpFlows(String host, int port, int flows) throws IOException {
        InetSocketAddress to = new InetSocketAddress(InetAddress.getByName(host), port);
        for (int i = 0; i < flows; i++) {
            String line = null;
            Socket s = null;
            for (int attempt = 0; attempt < 5 && line == null; attempt++) {
                s = new Socket();
                try {
                    s.connect(to, 5000);
                    line = tcpAsk(s);
                } catch (IOException e) {
                    s.close();
                }
            }
            System.out.println((line == null ? "lost " : "flow ") + seen(s.getLocalAddress(), s.getLocalPort())
                    + (line == null ? "" : " " + line));
            s.close();
        }
    }

    private static void udpCollide(String host, int port1, int port2) throws IOException {
        InetAddress at = InetAddress.getByName(host);
        try (DatagramSocket s = new DatagramSocket()) {
            String first = ask(s, new InetSocketAddress(at, port1));
            System.out.println("first " + s.getLocalPort() + " " + first);
            // Fewer tries: no reply is what is expected.
            String second = ask(s, new InetSocketAddress(at, port2));
            System.out.println("second " + (second == null ? "none" : second));
        }
    }

    private static void tcpCollide(String host, int port1, int port2) throws IOException {
        InetAddress at = InetAddress.getByName(host);
        try (Socket a = new Socket(); Socket b = new Socket()) {
            a.setReuseAddress(true);
            a.bind(new InetSocketAddress(0));
            b.setReuseAddress(true);
            b.bind(new InetSocketAddress(a.getLocalPort()));
            a.connect(new InetSocketAddress(at, port1), 5000);
            b.connect(new InetSocketAddress(at, port2), 5000);
            System.out.println("local " + seen(a.getLocalAddress(), a.getLocalPort()));
            System.out.println("first " + tcpAsk(a));
            System.out.println("second " + tcpAsk(b));
        }
    }
}
