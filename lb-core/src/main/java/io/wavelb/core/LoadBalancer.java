package io.wavelb.core;

import io.netty.channel.EventLoopGroup;
import io.wavelb.config.ListenerConfig;
import io.wavelb.config.TargetGroupConfig;
import io.wavelb.config.WavelbConfig;
import io.wavelb.core.listener.Listener;
import io.wavelb.core.stats.ListenerStats;
import io.wavelb.core.target.TargetGroup;
import io.wavelb.core.tcp.TcpListener;
import io.wavelb.core.transport.Transport;
import io.wavelb.core.udp.UdpListener;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A running balancer: event loops, target groups and bound listeners built from one config.
 * {@link #start} binds everything or nothing: if any listener cannot bind, what was bound is
 * closed again and the error names the address.
 */
public final class LoadBalancer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(LoadBalancer.class.getName());

    private final WavelbConfig config;
    private final Transport transport;
    private final EventLoopGroup loops;
    private final Map<String, TargetGroup> groups;
    private final List<Listener> listeners;
    private final Map<String, ListenerStats> stats;

    private LoadBalancer(WavelbConfig config, Transport transport, EventLoopGroup loops, Map<String, TargetGroup> groups,
                         List<Listener> listeners, Map<String, ListenerStats> stats) {
        this.config = config;
        this.transport = transport;
        this.loops = loops;
        this.groups = groups;
        this.listeners = listeners;
        this.stats = stats;
    }

    /**
     * Resolves targets, starts the event loops and binds every listener.
     *
     * @throws java.net.BindException naming the listener and address when one cannot bind
     * @throws IllegalArgumentException when a target's host name does not resolve
     */
    public static LoadBalancer start(WavelbConfig config) throws Exception {
        Map<String, TargetGroup> groups = new LinkedHashMap<>();
        for (TargetGroupConfig g : config.targetGroups()) {
            groups.put(g.name(), TargetGroup.create(g));
        }
        Transport transport = Transport.select(config.runtime().transport());
        EventLoopGroup loops = transport.newEventLoopGroup(config.runtime().eventLoops());
        List<Listener> listeners = new ArrayList<>();
        Map<String, ListenerStats> stats = new LinkedHashMap<>();
        try {
            for (ListenerConfig l : config.listeners()) {
                TargetGroup group = groups.get(l.targetGroup());
                ListenerStats s = new ListenerStats(l.name());
                stats.put(l.name(), s);
                InetSocketAddress address = resolveListen(l);
                if (l.protocol().carriesTcp()) {
                    TcpListener tcp = new TcpListener(l, group, transport, s);
                    tcp.bind(loops, address);
                    listeners.add(tcp);
                    // tcp_udp with port 0: UDP must take the port TCP got.
                    address = tcp.localAddress();
                }
                if (l.protocol().carriesUdp()) {
                    UdpListener udp = new UdpListener(l, group, transport, s);
                    udp.bind(loops, address);
                    listeners.add(udp);
                }
            }
        } catch (Exception | Error e) {
            for (Listener l : listeners) {
                l.stopAccepting().toCompletableFuture().join();
            }
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
            throw e;
        }
        LOG.log(System.Logger.Level.INFO, "wavelb started on " + transport.name() + " with "
                + count(loops) + " event loop(s)");
        return new LoadBalancer(config, transport, loops, groups, List.copyOf(listeners), stats);
    }

    private static InetSocketAddress resolveListen(ListenerConfig l) {
        InetSocketAddress a = new InetSocketAddress(l.listen().host(), l.listen().port());
        if (a.isUnresolved()) {
            throw new IllegalArgumentException("listener '" + l.name() + "': cannot resolve listen host '"
                    + l.listen().host() + "'");
        }
        return a;
    }

    private static int count(EventLoopGroup loops) {
        int n = 0;
        for (var ignored : loops) {
            n++;
        }
        return n;
    }

    public WavelbConfig config() {
        return config;
    }

    public String transportName() {
        return transport.name();
    }

    public List<Listener> listeners() {
        return listeners;
    }

    public Map<String, TargetGroup> targetGroups() {
        return groups;
    }

    public ListenerStats stats(String listener) {
        return stats.get(listener);
    }

    /** The bound address of the named listener's first socket (TCP for tcp_udp). */
    public InetSocketAddress address(String listener) {
        return listeners.stream().filter(l -> l.config().name().equals(listener)).findFirst()
                .map(Listener::localAddress).orElseThrow(() -> new IllegalArgumentException("no listener " + listener));
    }

    /**
     * Stops taking new flows, lets open TCP connections finish for up to {@code grace}, then closes
     * whatever is left and stops the event loops. UDP sessions end at once: UDP has no end of
     * stream to wait for.
     */
    public void shutdown(Duration grace) {
        List<CompletableFuture<Void>> stops = new ArrayList<>();
        for (Listener l : listeners) {
            stops.add(l.stopAccepting().toCompletableFuture());
        }
        CompletableFuture.allOf(stops.toArray(CompletableFuture[]::new)).join();
        long deadline = System.nanoTime() + grace.toNanos();
        int open;
        while ((open = openFlows()) > 0 && System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (open > 0) {
            LOG.log(System.Logger.Level.WARNING, "grace period over: closing " + open + " open connection(s)");
            List<CompletableFuture<Void>> closes = new ArrayList<>();
            for (Listener l : listeners) {
                closes.add(l.closeFlows().toCompletableFuture());
            }
            CompletableFuture.allOf(closes.toArray(CompletableFuture[]::new)).join();
        }
        loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    private int openFlows() {
        int n = 0;
        for (Listener l : listeners) {
            n += l.activeFlows();
        }
        return n;
    }

    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }
}
