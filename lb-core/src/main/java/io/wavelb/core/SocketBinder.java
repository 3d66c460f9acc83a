package io.wavelb.core;

import io.netty.channel.EventLoopGroup;
import io.wavelb.config.ListenerConfig;
import io.wavelb.core.overload.OverloadSignal;
import io.wavelb.core.stats.ListenerStats;
import io.wavelb.core.target.TargetGroup;
import io.wavelb.core.tcp.TcpListener;
import io.wavelb.core.transport.Transport;
import io.wavelb.core.udp.UdpListener;
import java.net.BindException;
import java.net.InetSocketAddress;

/**
 * Binds the sockets of one configured listener (its YAML is read by the config module's
 * {@code ListenerBinder}): its TCP side, then its UDP side on the same address, with the settings
 * it keeps for its life (transport, event loops, the overload state it reads). Either every socket
 * of the listener is bound or none is.
 */
final class SocketBinder {

    /** A {@code tcp_udp} listener on port 0 picks again at most this often when UDP finds TCP's port taken. */
    static final int SHARED_EPHEMERAL_ATTEMPTS = 20;

    private final Transport transport;
    private final EventLoopGroup loops;
    private final OverloadSignal overload;

    SocketBinder(Transport transport, EventLoopGroup loops, OverloadSignal overload) {
        this.transport = transport;
        this.loops = loops;
        this.overload = overload;
    }

    /**
     * @throws BindException naming the listener and address when a socket cannot bind
     * @throws IllegalArgumentException when the listen host does not resolve
     */
    BoundListener bind(ListenerConfig l, TargetGroup group) throws Exception {
        boolean sharedEphemeral = l.listen().port() == 0 && l.protocol().carriesTcp() && l.protocol().carriesUdp();
        for (int attempt = 1; ; attempt++) {
            try {
                return bindOnce(l, group);
            } catch (BindException e) {
                // tcp_udp on port 0: the port TCP was given may already be taken for UDP; pick again.
                if (!sharedEphemeral || attempt == SHARED_EPHEMERAL_ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    private BoundListener bindOnce(ListenerConfig l, TargetGroup group) throws Exception {
        ListenerStats stats = new ListenerStats(l.name());
        InetSocketAddress address = resolveListen(l);
        TcpListener tcp = null;
        UdpListener udp = null;
        try {
            if (l.protocol().carriesTcp()) {
                tcp = new TcpListener(l, group, transport, stats);
                tcp.bind(loops, address);
                // tcp_udp with port 0: UDP must take the port TCP got.
                address = tcp.localAddress();
            }
            if (l.protocol().carriesUdp()) {
                udp = new UdpListener(l, group, transport, stats);
                udp.bind(loops, address);
            }
        } catch (Exception | Error e) {
            if (tcp != null) {
                tcp.stopAccepting().toCompletableFuture().join();
            }
            throw e;
        }
        if (tcp != null) {
            tcp.overload(overload);
        }
        if (udp != null) {
            udp.overload(overload);
        }
        return new BoundListener(l, stats, tcp, udp);
    }

    private static InetSocketAddress resolveListen(ListenerConfig l) {
        InetSocketAddress a = new InetSocketAddress(l.listen().host(), l.listen().port());
        if (a.isUnresolved()) {
            throw new IllegalArgumentException("listener '" + l.name() + "': cannot resolve listen host '"
                    + l.listen().host() + "'");
        }
        return a;
    }
}
