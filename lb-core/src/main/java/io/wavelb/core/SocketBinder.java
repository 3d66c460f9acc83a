package io.wavelb.core;

import io.netty.channel.EventLoopGroup;
import io.wavelb.config.ListenerConfig;
import io.wavelb.core.flowlog.FlowLog;
import io.wavelb.core.listener.Bind;
import io.wavelb.core.listener.Descriptors;
import io.wavelb.core.listener.InheritedSockets;
import io.wavelb.core.overload.OverloadSignal;
import io.wavelb.core.stats.ListenerStats;
import io.wavelb.core.target.TargetGroup;
import io.wavelb.core.tcp.TcpListener;
import io.wavelb.core.transport.Transport;
import io.wavelb.core.udp.UdpListener;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * Binds the sockets of one configured listener (its YAML is read by the config module's
 * {@code ListenerBinder}): its TCP side, then its UDP side on the same address, with the settings
 * it keeps for its life (transport, event loops, the overload state it reads, the flow log it writes to). Either every socket
 * of the listener is bound or none is. A side for which there are inherited sockets (systemd
 * socket activation) uses them instead of binding.
 */
final class SocketBinder {

    private static final System.Logger LOG = System.getLogger(SocketBinder.class.getName());

    /** A {@code tcp_udp} listener on port 0 picks again at most this often when UDP finds TCP's port taken. */
    static final int SHARED_EPHEMERAL_ATTEMPTS = 20;

    private final Transport transport;
    private final EventLoopGroup loops;
    private final OverloadSignal overload;
    private final FlowLog flowLog;

    SocketBinder(Transport transport, EventLoopGroup loops, OverloadSignal overload, FlowLog flowLog) {
        this.transport = transport;
        this.loops = loops;
        this.overload = overload;
        this.flowLog = flowLog;
    }

    /**
     * Binds every socket of the listener itself.
     *
     * @throws BindException naming the listener and address when a socket cannot bind
     * @throws IllegalArgumentException when the listen host does not resolve
     */
    BoundListener bind(ListenerConfig l, TargetGroup group) throws Exception {
        return bind(l, group, InheritedSockets.none(), new ListenerStats(l.name()));
    }

    /**
     * Binds the listener, each side on the sockets {@code inherited} holds for it when there are
     * any (they are taken out of it, and closed if the listener fails), else on new sockets.
     *
     * @throws BindException naming the listener and address when a socket cannot bind or be used
     * @throws IllegalArgumentException when the listen host does not resolve
     * @param stats     the listener's counters (made by the caller, so that its meters can exist before its sockets)
     * @throws IllegalStateException when the inherited sockets for a side are on different addresses
     */
    BoundListener bind(ListenerConfig l, TargetGroup group, InheritedSockets inherited, ListenerStats stats)
            throws Exception {
        InetSocketAddress configured = resolveListen(l);
        List<Integer> tcpFds = l.protocol().carriesTcp() ? inherited.take(l.name(), false, configured) : List.of();
        List<Integer> udpFds;
        try {
            udpFds = l.protocol().carriesUdp() ? inherited.take(l.name(), true, configured) : List.of();
        } catch (RuntimeException e) {
            closeAll(tcpFds);
            throw e;
        }
        // Picking again only helps sockets we bind; an inherited one's port is what it is.
        boolean sharedEphemeral = l.listen().port() == 0 && l.protocol().carriesTcp() && l.protocol().carriesUdp()
                && tcpFds.isEmpty() && udpFds.isEmpty();
        for (int attempt = 1; ; attempt++) {
            try {
                return bindOnce(l, group, configured, new Side(tcpFds, inherited.source(), inherited.paused()),
                        new Side(udpFds, inherited.source(), inherited.paused()), stats);
            } catch (BindException e) {
                // tcp_udp on port 0: the port TCP was given may already be taken for UDP; pick again.
                // Only then: another failure (a stuck event loop) would fail the same way each time.
                if (!sharedEphemeral || attempt == SHARED_EPHEMERAL_ATTEMPTS
                        || !String.valueOf(e.getMessage()).endsWith(": address already in use")) {
                    throw e;
                }
            }
        }
    }

    /** One side's inherited descriptors (empty: bind fresh) and who passed them, for the log. */
    private record Side(List<Integer> fds, String source, boolean paused) {
    }

    private BoundListener bindOnce(ListenerConfig l, TargetGroup group, InetSocketAddress configured, Side tcpSide,
                                   Side udpSide, ListenerStats stats) throws Exception {
        InetSocketAddress address = configured;
        TcpListener tcp = null;
        UdpListener udp = null;
        try {
            if (l.protocol().carriesTcp()) {
                tcp = new TcpListener(l, group, transport, stats);
                if (tcpSide.fds().isEmpty()) {
                    tcp.bind(loops, address);
                } else {
                    tcp.bind(loops, configured, tcpSide.fds(), tcpSide.paused());
                    adopted(l, "tcp", tcpSide, configured, tcp.localAddress());
                }
                // tcp_udp with port 0: UDP must take the port TCP got.
                address = tcp.localAddress();
            }
            if (l.protocol().carriesUdp()) {
                udp = new UdpListener(l, group, transport, stats);
                if (udpSide.fds().isEmpty()) {
                    udp.bind(loops, address);
                } else {
                    udp.bind(loops, configured, udpSide.fds(), udpSide.paused());
                    adopted(l, "udp", udpSide, configured, udp.localAddress());
                }
            }
        } catch (Exception | Error e) {
            if (tcp != null) {
                tcp.stopAccepting().toCompletableFuture().join();
            } else {
                closeAll(tcpSide.fds());
            }
            if (udp == null) {
                closeAll(udpSide.fds());
            }
            throw e;
        }
        if (tcp != null) {
            tcp.overload(overload);
            tcp.flowLog(flowLog);
        }
        if (udp != null) {
            udp.overload(overload);
            udp.flowLog(flowLog);
        }
        return new BoundListener(l, stats, tcp, udp);
    }

    /** One line per inherited socket in use, so an operator sees that wavelb did not bind it. */
    private static void adopted(ListenerConfig l, String protocol, Side side, InetSocketAddress configured,
                                InetSocketAddress local) {
        for (int fd : side.fds()) {
            LOG.log(System.Logger.Level.INFO, "listener '" + l.name() + "' (" + protocol + "): using the socket "
                    + side.source() + " passed, fd " + fd + ", " + Bind.format(local));
        }
        boolean portAsConfigured = configured.getPort() == 0 || configured.getPort() == local.getPort();
        if (!portAsConfigured || !local.getAddress().equals(configured.getAddress())) {
            // Matched by name: the socket's address wins, and the config's listen: is only a label.
            LOG.log(System.Logger.Level.WARNING, "listener '" + l.name() + "' (" + protocol + "): the socket "
                    + side.source() + " passed is on " + Bind.format(local) + ", not on " + Bind.format(configured)
                    + " as listen: says; serving on " + Bind.format(local));
        }
    }

    /** Inherited descriptors of a side that failed before its listener took them over. */
    private static void closeAll(List<Integer> fds) {
        for (int fd : fds) {
            Descriptors.close(fd);
        }
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
