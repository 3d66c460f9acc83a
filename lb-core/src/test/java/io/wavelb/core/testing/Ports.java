package io.wavelb.core.testing;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free loopback ports for configs that must name a port (YAML requires 1..65535).
 *
 * <p>Picked outside the kernel's ephemeral range ({@code net.ipv4.ip_local_port_range}): a port
 * found free by binding port 0 comes from that range, and between the pick and the bind of the
 * process it is meant for, any outgoing connection on the host (a health check, a warm-up, the
 * test's own clients) may take it, or leave it in TIME_WAIT. Outside the range only another
 * explicit bind can take it. Falls back to port 0 when the range leaves nothing outside it.
 */
public final class Ports {

    /** Below this, ports are left to the host's own services. */
    private static final int LOWEST = 10_000;
    private static final int HIGHEST = 65_535;
    private static final Path RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");

    private Ports() {
    }

    /** A port free for both TCP and UDP right now (a tcp_udp listener needs both). */
    public static int freeTcpAndUdp() throws IOException {
        int[] ephemeral = ephemeralRange();
        int below = Math.max(0, ephemeral[0] - LOWEST);
        int above = Math.max(0, HIGHEST - ephemeral[1]);
        for (int attempt = 0; attempt < 1000; attempt++) {
            int port;
            if (below + above == 0) {
                port = 0;
            } else {
                int i = ThreadLocalRandom.current().nextInt(below + above);
                port = i < below ? LOWEST + i : ephemeral[1] + 1 + (i - below);
            }
            Integer free = freeForBoth(port);
            if (free != null) {
                return free;
            }
        }
        throw new IOException("no port free for both TCP and UDP after 1000 attempts");
    }

    /** {@code port} (or the kernel's pick for 0) if both a TCP and a UDP socket can bind it now. */
    private static Integer freeForBoth(int port) throws IOException {
        try (ServerSocket tcp = new ServerSocket()) {
            tcp.setReuseAddress(true);
            tcp.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                    tcp.getLocalPort()))) {
                return udp.getLocalPort();
            }
        } catch (java.net.BindException taken) {
            return null;
        }
    }

    /** {@code [first, last]} of the ephemeral range; Linux's default when it cannot be read. */
    static int[] ephemeralRange() {
        try {
            String[] parts = Files.readString(RANGE).trim().split("\\s+");
            return new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1])};
        } catch (IOException | RuntimeException e) {
            return new int[] {32_768, 60_999};
        }
    }
}
