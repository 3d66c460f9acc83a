package io.wavelb.core.testing;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Free loopback ports for configs that must name a port (YAML requires 1..65535). */
public final class Ports {

    private Ports() {
    }

    /** A port free for both TCP and UDP right now (a tcp_udp listener needs both). */
    public static int freeTcpAndUdp() throws IOException {
        for (int attempt = 0; attempt < 1000; attempt++) {
            try (ServerSocket tcp = new ServerSocket()) {
                tcp.setReuseAddress(true);
                tcp.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                int port = tcp.getLocalPort();
                try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
                    return udp.getLocalPort();
                } catch (IOException busyForUdp) {
                    // taken for UDP by someone else: try another
                }
            }
        }
        throw new IOException("no port free for both TCP and UDP after 1000 attempts");
    }
}
