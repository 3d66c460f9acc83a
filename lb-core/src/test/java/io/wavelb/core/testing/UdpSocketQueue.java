package io.wavelb.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What the kernel holds for one UDP socket, from its line of {@code /proc/net/udp} or
 * {@code /proc/net/udp6} (Netty's epoll sockets are IPv6 ones bound to the mapped address): the
 * bytes in its receive queue and the datagrams it dropped.
 */
public record UdpSocketQueue(long bytes, long drops) {

    /** The one socket bound to {@code address}'s port (a listener on one loop); fails when there are more or none. */
    public static UdpSocketQueue of(InetSocketAddress address) throws IOException {
        String port = String.format(Locale.ROOT, ":%04X", address.getPort());
        List<UdpSocketQueue> found = new ArrayList<>();
        for (String table : List.of("/proc/net/udp", "/proc/net/udp6")) {
            for (String line : Files.readAllLines(Path.of(table))) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 12 && f[1].endsWith(port)) {
                    found.add(new UdpSocketQueue(Long.parseLong(f[4].substring(f[4].indexOf(':') + 1), 16),
                            Long.parseLong(f[12])));
                }
            }
        }
        assertThat(found).as("sockets bound to port %d in /proc/net/udp{,6}", address.getPort()).hasSize(1);
        return found.getFirst();
    }
}
