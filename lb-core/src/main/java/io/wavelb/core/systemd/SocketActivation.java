package io.wavelb.core.systemd;

import io.wavelb.core.listener.Descriptors;
import io.wavelb.core.listener.InheritedSockets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The listening sockets systemd passed (socket activation, {@code wavelb.socket}), read once at
 * start: which descriptors and names from the environment ({@link ListenFds}), what each one is
 * from the kernel ({@link Descriptors#inspect}).
 */
public final class SocketActivation {

    /** How the logs name whoever passed the sockets. */
    public static final String SOURCE = "systemd";

    private SocketActivation() {
    }

    /**
     * @throws IllegalArgumentException when the environment is malformed or a passed descriptor is
     *                                  not an IPv4/IPv6 listening TCP socket or UDP socket
     * @throws IllegalStateException    when sockets were passed but the epoll transport is unavailable
     */
    public static InheritedSockets fromEnvironment(Map<String, String> env, long ownPid) {
        ListenFds passed = ListenFds.parse(env, ownPid);
        List<InheritedSockets.InheritedSocket> sockets = new ArrayList<>();
        for (ListenFds.Passed p : passed.sockets()) {
            sockets.add(Descriptors.inspect(p.fd(), p.name()));
        }
        return InheritedSockets.of(SOURCE, sockets);
    }
}
