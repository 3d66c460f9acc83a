package io.wavelb.agent.testing;

import java.io.IOException;
import java.net.BindException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Loopback ports free for both TCP and UDP, for the configs of the balancers these tests start.
 * Picked outside the kernel's ephemeral range: a port found by binding port 0 comes from it, and
 * before the balancer binds it any outgoing connection on the host (the balancer's own start-up
 * warm-up among them) may take it or leave it in TIME_WAIT. lb-core's tests pick theirs the same
 * way (modules share no test code).
 */
public final class Ports {

    private static final int LOWEST = 10_000;

    private Ports() {
    }

    public static int freeTcpAndUdp() throws IOException {
        int first = 32_768;
        int last = 60_999;
        try {
            String[] range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+");
            first = Integer.parseInt(range[0]);
            last = Integer.parseInt(range[1]);
        } catch (IOException | RuntimeException e) {
            // Linux's default range
        }
        int below = Math.max(0, first - LOWEST);
        int above = Math.max(0, 65_535 - last);
        for (int attempt = 0; attempt < 1000; attempt++) {
            int i = below + above == 0 ? -1 : ThreadLocalRandom.current().nextInt(below + above);
            int port = i < 0 ? 0 : i < below ? LOWEST + i : last + 1 + (i - below);
            try (ServerSocket tcp = new ServerSocket()) {
                tcp.setReuseAddress(true);
                tcp.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                        tcp.getLocalPort()))) {
                    return udp.getLocalPort();
                }
            } catch (BindException taken) {
                // try another
            }
        }
        throw new IOException("no port free for both TCP and UDP after 1000 attempts");
    }
}
