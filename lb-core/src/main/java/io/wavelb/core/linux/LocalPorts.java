package io.wavelb.core.linux;

import java.net.SocketException;
import java.util.Optional;

/**
 * The kernel's ephemeral port range ({@code net.ipv4.ip_local_port_range}, which IPv6 shares), and
 * whether a session socket failed for want of a port in it. Every UDP session's socket takes a
 * local port of its own from this range when it connects (the kernel gives a connected UDP socket
 * a port no other UDP socket of the host's address holds), so the range bounds the sessions open
 * at once on a host: 28,232 with the default 32768-60999, whatever {@code udp.max_sessions} says.
 */
public record LocalPorts(int first, int last) {

    /**
     * The current range as text, read when printed: a rate-limited warning that is suppressed
     * never reads the file.
     */
    public static final Object DESCRIBED = new Object() {
        @Override
        public String toString() {
            return current().map(LocalPorts::toString).orElse("unknown");
        }
    };
    /** linux/errno.h: what {@code connect} returns when no local port is free, on a UDP and a TCP socket. */
    private static final int EAGAIN = 11;
    private static final int EADDRNOTAVAIL = 99;

    public LocalPorts {
        if (first < 1 || last > 65_535 || first > last) {
            throw new IllegalArgumentException("not a port range: " + first + "-" + last);
        }
    }

    /** How many ports the range holds. */
    public int count() {
        return last - first + 1;
    }

    @Override
    public String toString() {
        return first + "-" + last;
    }

    /** The range as procfs prints it: two numbers separated by whitespace. */
    public static LocalPorts parse(String line) {
        String[] parts = line.trim().split("\\s+");
        if (parts.length != 2) {
            throw new IllegalArgumentException("not a port range: '" + line + "'");
        }
        return new LocalPorts(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
    }

    /** This process's network namespace's range; empty where there is no such file (not Linux). */
    public static Optional<LocalPorts> current() {
        try {
            return Sysctl.read("net.ipv4.ip_local_port_range").map(LocalPorts::parse);
        } catch (RuntimeException notARange) {
            return Optional.empty();
        }
    }

    /**
     * Whether {@code failure}, from a socket with no address of its own to bind (not a transparent
     * one), says that no local port was free: a UDP session's {@code connect} fails with EAGAIN on
     * the epoll transport and its implicit bind to port 0 with "Address already in use" on NIO; a TCP
     * {@code connect} fails with EADDRNOTAVAIL on both (every port of the range holds a connection
     * to that target, TIME_WAIT ones included).
     */
    public static boolean exhausted(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String message = t.getMessage() == null ? "" : t.getMessage();
            if (t instanceof SocketException && (message.contains("error(-" + EAGAIN + ")")
                    || message.contains("error(-" + EADDRNOTAVAIL + ")")
                    || message.startsWith("Address already in use") || message.startsWith("Cannot assign requested address"))) {
                return true;
            }
        }
        return false;
    }

}
