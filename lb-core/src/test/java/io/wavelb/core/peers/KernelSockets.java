package io.wavelb.core.peers;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads the kernel's socket tables ({@code /proc/net/{tcp,udp}{,6}}, see proc(5)) instead of
 * probing a peer's port: a probe connection would be taken by iperf3 as a client, and a probe
 * datagram would be answered by a STUN server — either disturbs the program under test.
 */
final class KernelSockets {

    /** st column of a listening TCP socket (TCP_LISTEN in include/net/tcp_states.h). */
    private static final String TCP_LISTEN = "0A";

    /** One row: local and remote address, and the socket's inode (links /proc/PID/fd to it). */
    record Row(InetSocketAddress local, InetSocketAddress remote, String state, long inode) {
    }

    private KernelSockets() {
    }

    static List<Row> tcp() throws IOException {
        return rows("tcp", "tcp6");
    }

    static List<Row> udp() throws IOException {
        return rows("udp", "udp6");
    }

    /** Waits until something listens on TCP {@code port}; fails the test with {@code who} otherwise. */
    static void awaitTcpListening(int port, Duration limit, String who) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            if (tcp().stream().anyMatch(r -> r.state.equals(TCP_LISTEN) && r.local.getPort() == port)) {
                return;
            }
            Thread.sleep(20);
        }
        fail("%s is not listening on TCP port %d after %s", who, port, limit);
    }

    /** Waits until a UDP socket is bound to {@code port}; fails the test with {@code who} otherwise. */
    static void awaitUdpBound(int port, Duration limit, String who) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            if (udp().stream().anyMatch(r -> r.local.getPort() == port)) {
                return;
            }
            Thread.sleep(20);
        }
        fail("%s has no UDP socket on port %d after %s", who, port, limit);
    }

    /** Inodes of the sockets this JVM holds open (readlink of /proc/self/fd/N is "socket:[inode]"). */
    static Set<Long> socketInodesOfThisProcess() throws IOException {
        Set<Long> inodes = new HashSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (IOException closedMeanwhile) {
                    continue;
                }
                if (target.startsWith("socket:[") && target.endsWith("]")) {
                    inodes.add(Long.parseLong(target.substring(8, target.length() - 1)));
                }
            }
        }
        return inodes;
    }

    private static List<Row> rows(String... tables) throws IOException {
        List<Row> rows = new ArrayList<>();
        for (String table : tables) {
            Path file = Path.of("/proc/net", table);
            if (!Files.exists(file)) {
                continue;   // no IPv6 in this kernel or namespace
            }
            List<String> lines = Files.readAllLines(file);
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.trim().split("\\s+");
                rows.add(new Row(address(f[1]), address(f[2]), f[3], Long.parseLong(f[9])));
            }
        }
        return rows;
    }

    /**
     * "0100007F:1F90" is 127.0.0.1:8080: the address is the kernel's in-memory words printed as
     * host-order (little-endian here) hex, the port is plain hex.
     */
    static InetSocketAddress address(String hexHostPort) throws UnknownHostException {
        int colon = hexHostPort.indexOf(':');
        String hex = hexHostPort.substring(0, colon);
        byte[] bytes = new byte[hex.length() / 2];
        for (int word = 0; word < bytes.length / 4; word++) {
            for (int b = 0; b < 4; b++) {
                int at = (word * 4 + b) * 2;
                bytes[word * 4 + 3 - b] = (byte) Integer.parseInt(hex.substring(at, at + 2), 16);
            }
        }
        return new InetSocketAddress(InetAddress.getByAddress(bytes), Integer.parseInt(hexHostPort.substring(colon + 1), 16));
    }
}
