package io.wavelb.core.listener;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Listening sockets this process did not bind itself (passed by systemd socket activation, or by
 * a previous wavelb handing over), until the listeners that use them take them. Used from one
 * thread at start; nothing here touches a socket.
 *
 * <p>Which listener side a socket belongs to: the one whose name is the socket's name (systemd's
 * {@code FileDescriptorName=}) and whose protocol is the socket's. A socket without a useful
 * name ({@link #named}) goes to the side of the same protocol whose {@code listen:} address is the
 * socket's: the same port, and the same host, a wildcard matching only a wildcard.
 */
public final class InheritedSockets {

    /**
     * One inherited socket.
     *
     * @param name  what the passer called it ({@code FileDescriptorName=}), or systemd's default
     * @param udp   a UDP socket; otherwise a listening TCP socket
     * @param local the address it is bound to
     */
    public record InheritedSocket(int fd, String name, boolean udp, InetSocketAddress local) {
        public InheritedSocket {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(local, "local");
        }

        /** For logs: {@code fd 3 'dns' (udp 127.0.0.1:53)}. */
        public String describe() {
            return "fd " + fd + " '" + name + "' (" + (udp ? "udp " : "tcp ") + Bind.format(local) + ")";
        }
    }

    private static final InheritedSockets NONE = new InheritedSockets("nobody", List.of(), false);

    private final String source;
    private final List<InheritedSocket> untaken;
    private final boolean paused;

    private InheritedSockets(String source, List<InheritedSocket> sockets, boolean paused) {
        this.source = source;
        this.untaken = new ArrayList<>(sockets);
        this.paused = paused;
    }

    /** No inherited sockets: every listener binds its own. */
    public static InheritedSockets none() {
        return NONE;
    }

    /** @param source who passed them, as logs name it ("systemd") */
    public static InheritedSockets of(String source, List<InheritedSocket> sockets) {
        return sockets.isEmpty() ? NONE : new InheritedSockets(source, sockets, false);
    }

    /**
     * A takeover's sockets: adopted unread, so the running process keeps serving them until it
     * hands its sessions over; the listeners read once told to ({@code LoadBalancer.resumeReading}).
     */
    public static InheritedSockets paused(String source, List<InheritedSocket> sockets) {
        return new InheritedSockets(source, sockets, true);
    }

    /** Whether listeners adopt these sockets without reading them yet. */
    public boolean paused() {
        return paused;
    }

    public String source() {
        return source;
    }

    public boolean isEmpty() {
        return untaken.isEmpty();
    }

    /**
     * Takes the sockets of one listener side out of this set, in the order they were passed.
     *
     * @param configured the listener's resolved {@code listen:} address
     * @return their descriptors, now the caller's to use or close; empty when none matches (bind fresh)
     * @throws IllegalStateException when the matching sockets are on different addresses (a
     *                               listener has one); none is taken then
     */
    public List<Integer> take(String listenerName, boolean udp, InetSocketAddress configured) {
        List<InheritedSocket> matched = new ArrayList<>();
        for (InheritedSocket s : untaken) {
            if (paused ? matchesHandedOver(s, listenerName, udp, configured) : matches(s, listenerName, udp, configured)) {
                matched.add(s);
            }
        }
        for (InheritedSocket s : matched) {
            if (!s.local().equals(matched.get(0).local())) {
                throw new IllegalStateException("listener '" + listenerName + "' (" + (udp ? "udp" : "tcp") + "): "
                        + source + " passed sockets on different addresses (" + matched.get(0).describe() + ", "
                        + s.describe() + "); a listener listens on one address, so give each address its own"
                        + " listener and name");
            }
        }
        untaken.removeAll(matched);
        return matched.stream().map(InheritedSocket::fd).toList();
    }

    /** What no listener took so far: at the end of start, to be warned about and closed. */
    public List<InheritedSocket> untaken() {
        return List.copyOf(untaken);
    }

    static boolean matches(InheritedSocket s, String listenerName, boolean udp, InetSocketAddress configured) {
        if (s.udp() != udp) {
            return false;
        }
        if (named(s.name())) {
            return s.name().equals(listenerName);
        }
        return sameAddress(s.local(), configured);
    }

    /**
     * A takeover's socket goes to the listener of its name only if that listener still listens
     * where the socket is (port 0 in the config takes any port): a listener the new config moved
     * binds its new address, and the old socket is closed as untaken.
     */
    static boolean matchesHandedOver(InheritedSocket s, String listenerName, boolean udp, InetSocketAddress configured) {
        if (s.udp() != udp || !s.name().equals(listenerName)) {
            return false;
        }
        if (configured.getPort() == 0) {
            return s.local().getAddress() != null && s.local().getAddress().equals(configured.getAddress());
        }
        return sameAddress(s.local(), configured);
    }

    /**
     * Whether a name was given by the operator. systemd calls a socket {@code unknown} when the
     * passer set no names (sd_listen_fds_with_names(3)), and by default names it after its unit,
     * {@code wavelb.socket} (systemd.socket(5), {@code FileDescriptorName=}): neither says which
     * listener it is for.
     */
    static boolean named(String name) {
        return !name.isEmpty() && !name.equals("unknown") && !name.endsWith(".socket");
    }

    /** Same port and same host; a wildcard (0.0.0.0, ::) matches only a wildcard of the same family. */
    static boolean sameAddress(InetSocketAddress socket, InetSocketAddress configured) {
        if (socket.getPort() != configured.getPort() || socket.getAddress() == null || configured.getAddress() == null) {
            return false;
        }
        return socket.getAddress().equals(configured.getAddress());
    }
}
