package io.wavelb.core.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.wavelb.core.LoadBalancer;
import io.wavelb.core.flowlog.FlowLog;
import io.wavelb.core.flowlog.FlowLogCounters;
import io.wavelb.core.health.state.ProbeResult;
import io.wavelb.core.linux.LocalPorts;
import io.wavelb.core.overload.OverloadAction;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.stats.ListenerStats;
import io.wavelb.core.takeover.TakeoverStats;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;
import java.util.stream.Stream;

/**
 * The Prometheus registry and every wavelb meter. Meters are resolved once, when a listener, group
 * or target appears, and removed when it goes; their values are read at scrape time from the
 * data plane's single-writer per-loop counters, so counting costs the packet path nothing here.
 * Tags are bounded: listener, target group, target, direction, reason, result — never a client.
 *
 * <p>Gauges hold their state strongly: Micrometer's default weak reference lets a supplier lambda
 * be collected and the gauge read NaN. They are removed explicitly when their owner goes.
 */
public final class WavelbMetrics implements AutoCloseable {

    /** Active-check results, pre-registered so a series exists (at 0) before the first failure. */
    public static final List<String> CHECK_RESULTS = Stream.concat(Stream.of(ProbeResult.SUCCESS.tag()),
            Arrays.stream(ProbeResult.Kind.values()).map(ProbeResult.Kind::tag)).toList();

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final Map<String, List<Meter>> listenerMeters = new ConcurrentHashMap<>();
    private final Map<String, List<Meter>> groupMeters = new ConcurrentHashMap<>();
    private final Map<String, TargetMeters> targetMeters = new ConcurrentHashMap<>();
    private final Counter reloadSuccess;
    private final Counter reloadFailure;

    public WavelbMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        // The allocator every channel uses: Netty 4.2's default is the adaptive one, not
        // PooledByteBufAllocator.DEFAULT (binding that one showed an idle pool: all zeros).
        if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider provider) {
            new NettyAllocatorMetrics(provider).bindTo(registry);
        }
        new NettyAllocatorMetrics(UnpooledByteBufAllocator.DEFAULT).bindTo(registry);
        // The bound on open UDP sessions when it is below udp.max_sessions: each session's socket holds a port of it.
        Gauge.builder("wavelb.udp.local.ports", () -> LocalPorts.current().map(p -> (double) p.count()).orElse(Double.NaN))
                .description("Ports of the kernel's ephemeral range (net.ipv4.ip_local_port_range): each UDP session's socket holds one")
                .strongReference(true).register(registry);
        reloadSuccess = Counter.builder("wavelb.config.reloads").tag("result", "success")
                .description("Config reloads by outcome").register(registry);
        reloadFailure = Counter.builder("wavelb.config.reloads").tag("result", "failure")
                .description("Config reloads by outcome").register(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    static final String OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    /** A scrape body and the content type to send it with. */
    public record Scrape(String contentType, String body) {
    }

    /** Prometheus text 0.0.4, or OpenMetrics when the {@code Accept} header asks for it. */
    public Scrape scrape(String accept) {
        String type = accept != null && accept.contains("application/openmetrics-text") ? OPENMETRICS : PROMETHEUS_TEXT;
        return new Scrape(type, registry.scrape(type));
    }

    // ---- listeners -----------------------------------------------------------------------

    public void addListener(ListenerStats stats, String protocol, IntSupplier udpSessions) {
        // Affinity can change on reload without the listener being rebound, so every UDP listener
        // has the routing counters (at zero unless its affinity is quic or stun).
        boolean udp = protocol.contains("udp");
        String l = stats.listener();
        List<Meter> meters = new ArrayList<>();
        meters.add(Gauge.builder("wavelb.udp.sessions", udpSessions, IntSupplier::getAsInt)
                .tag("listener", l).description("Open UDP sessions").strongReference(true).register(registry));
        meters.add(Gauge.builder("wavelb.tcp.connections", stats, s -> s.tcpConnections().get())
                .tag("listener", l).description("Open TCP client connections").strongReference(true).register(registry));
        meters.add(Gauge.builder("wavelb.tcp.sockets", stats, s -> s.tcpConnections().get())
                .tags("listener", l, "side", "client").description("Open TCP sockets, closing ones included, by side")
                .strongReference(true).register(registry));
        meters.add(Gauge.builder("wavelb.tcp.sockets", stats, s -> s.tcpTargetSockets().get())
                .tags("listener", l, "side", "target").description("Open TCP sockets, closing ones included, by side")
                .strongReference(true).register(registry));
        meters.add(counter("wavelb.tcp.closed.overload", stats, ListenerCounter.TCP_CLOSED_OVERLOAD,
                "TCP connections closed by the overload manager for holding the most buffered bytes", "listener", l));
        meters.add(counter("wavelb.tcp.close.timeouts", stats, ListenerCounter.TCP_CLOSE_TIMEOUT,
                "TCP connections whose sides were closed by tcp.close_timeout with bytes still queued", "listener", l));
        // Not "..._created_total": OpenMetrics reserves the _created suffix for a counter's creation
        // time, and not "wavelb_tcp_connections_total": its family name would collide with the gauge.
        meters.add(counter("wavelb.udp.sessions.opened", stats, ListenerCounter.SESSIONS_CREATED, "UDP sessions opened", "listener", l));
        meters.add(counter("wavelb.udp.sessions.adopted", stats, ListenerCounter.SESSIONS_ADOPTED,
                "UDP sessions received, with their upstream sockets, from the process this one took over", "listener", l));
        meters.add(counter("wavelb.tcp.connections.accepted", stats, ListenerCounter.TCP_ACCEPTED, "TCP client connections accepted",
                "listener", l));
        meters.add(counter("wavelb.tcp.accept.failures", stats, ListenerCounter.TCP_ACCEPT_FAILURES,
                "Failed accepts of TCP client connections (EMFILE, ENFILE, ENOMEM): each pauses accepting for a second",
                "listener", l));
        meters.add(counter("wavelb.tcp.connect.failures", stats, ListenerCounter.TCP_CONNECT_FAILURES,
                "Failed connects to targets (each is retried on the next target while attempts remain)", "listener", l));
        meters.add(counter("wavelb.tcp.no.target", stats, ListenerCounter.TCP_NO_TARGET,
                "TCP client connections closed because no target could be picked", "listener", l));
        meters.add(counter("wavelb.tcp.closed.idle", stats, ListenerCounter.TCP_CLOSED_IDLE, "TCP connections closed for idleness",
                "listener", l));
        meters.add(counter("wavelb.bytes", stats, ListenerCounter.BYTES_RX, "Payload bytes; rx = client to target",
                "listener", l, "direction", "rx"));
        meters.add(counter("wavelb.bytes", stats, ListenerCounter.BYTES_TX, "Payload bytes; rx = client to target",
                "listener", l, "direction", "tx"));
        meters.add(counter("wavelb.datagrams", stats, ListenerCounter.DATAGRAMS_RX, "UDP datagrams; rx = client to target",
                "listener", l, "direction", "rx"));
        meters.add(counter("wavelb.datagrams", stats, ListenerCounter.DATAGRAMS_TX, "UDP datagrams; rx = client to target",
                "listener", l, "direction", "tx"));
        if (udp) {
            meters.add(FunctionCounter.builder("wavelb.udp.receive.drops", stats, ListenerStats::kernelDrops)
                    .tag("listener", l).description("Datagrams the kernel dropped on the listener's sockets for want of "
                            + "receive-queue room (udp.receive_buffer), before wavelb read them: the sockets' own count, "
                            + "carried across a takeover").register(registry));
            meters.add(counter("wavelb.udp.session.receive.drops", stats, ListenerCounter.UDP_SESSION_KERNEL_DROPS,
                    "Replies the kernel dropped on sessions' sockets towards their targets for want of receive-queue room "
                            + "(udp.session_receive_buffer), before wavelb read them; read at the sweep after a socket "
                            + "had replies queued", "listener", l));
            meters.add(counter("wavelb.udp.gso.datagrams", stats, ListenerCounter.UDP_GSO_DATAGRAMS,
                    "Client datagrams sent to targets in UDP GSO bursts, several per send system call", "listener", l));
            meters.add(counter("wavelb.udp.per.packet.legs", stats, ListenerCounter.UDP_LEGS_OPENED,
                    "udp.mode per_packet: sessions opened as a client's leg towards one more target", "listener", l));
            meters.add(counter("wavelb.udp.per.packet.fallback", stats, ListenerCounter.UDP_LEG_FALLBACK,
                    "udp.mode per_packet: datagrams sent to the client's first target because no leg could be opened "
                    + "towards the one picked (max_sessions, no socket, no free local port)", "listener", l));
        }
        for (ListenerCounter c : ListenerCounter.values()) {
            if (c.name().startsWith("CLOSED_")) {
                meters.add(counter("wavelb.udp.sessions.closed", stats, c, "UDP sessions closed by reason",
                        "listener", l, "reason", c.tagValue()));
            } else if (c.name().startsWith("DROPPED_")) {
                meters.add(counter("wavelb.dropped", stats, c, "Datagrams or flows dropped by reason",
                        "listener", l, "reason", c.tagValue()));
            } else if (c.name().startsWith("QUIC_") && udp) {
                meters.add(counter("wavelb.quic.packets", stats, c,
                        "Datagrams of an affinity: quic listener by how they were routed", "listener", l, "route", c.tagValue()));
            } else if (c.name().startsWith("STUN_") && udp) {
                meters.add(counter("wavelb.stun.binding.requests", stats, c,
                        "STUN Binding Requests of an affinity: stun listener by how they were routed", "listener", l,
                        "route", c.tagValue()));
            }
        }
        List<Meter> previous = listenerMeters.put(l, meters);
        if (previous != null) {
            previous.forEach(registry::remove);
        }
    }

    private FunctionCounter counter(String name, ListenerStats stats, ListenerCounter c, String description, String... tags) {
        return FunctionCounter.builder(name, stats, s -> s.total(c)).tags(tags).description(description).register(registry);
    }

    public void removeListener(String listener) {
        List<Meter> meters = listenerMeters.remove(listener);
        if (meters != null) {
            meters.forEach(registry::remove);
        }
    }

    // ---- groups and targets --------------------------------------------------------------

    public void addGroup(String group, BooleanSupplier failOpen) {
        List<Meter> meters = List.of(Gauge.builder("wavelb.fail.open", failOpen, f -> f.getAsBoolean() ? 1 : 0)
                .tag("target_group", group)
                .description("1 while no target of the group is healthy and it routes to all of them").strongReference(true).register(registry));
        List<Meter> previous = groupMeters.put(group, meters);
        if (previous != null) {
            previous.forEach(registry::remove);
        }
    }

    public void removeGroup(String group) {
        List<Meter> meters = groupMeters.remove(group);
        if (meters != null) {
            meters.forEach(registry::remove);
        }
    }

    /** Meters of one target; {@link TargetMeters#remove()} when it leaves its group. */
    public TargetMeters addTarget(String group, String target, IntSupplier healthy, IntSupplier flows) {
        TargetMeters m = new TargetMeters(group, target, healthy, flows);
        TargetMeters previous = targetMeters.put(group + "\u0000" + target, m);
        if (previous != null) {
            previous.unregister();
        }
        return m;
    }

    /** The meters of a target added before, or null. */
    public TargetMeters target(String group, String target) {
        return targetMeters.get(group + "\u0000" + target);
    }

    public final class TargetMeters {
        private final String key;
        private final List<Meter> meters = new ArrayList<>();
        private final Map<String, Counter> checks = new ConcurrentHashMap<>();

        private TargetMeters(String group, String target, IntSupplier healthy, IntSupplier flows) {
            this.key = group + "\u0000" + target;
            meters.add(Gauge.builder("wavelb.target.healthy", healthy, IntSupplier::getAsInt)
                    .tags("target_group", group, "target", target)
                    .description("1 while the target is in rotation (healthy or not yet checked), else 0").strongReference(true).register(registry));
            meters.add(Gauge.builder("wavelb.target.flows", flows, IntSupplier::getAsInt)
                    .tags("target_group", group, "target", target)
                    .description("UDP sessions and TCP connections open to the target").strongReference(true).register(registry));
            for (String result : CHECK_RESULTS) {
                Counter c = Counter.builder("wavelb.health.checks").tags("target_group", group, "target", target, "result", result)
                        .description("Active health check results").register(registry);
                checks.put(result, c);
                meters.add(c);
            }
        }

        /** Counts one active check result (one of {@link #CHECK_RESULTS}; anything else counts as error). */
        public void healthCheck(String result) {
            Counter c = checks.get(result);
            (c != null ? c : checks.get("error")).increment();
        }

        public void remove() {
            if (targetMeters.remove(key, this)) {
                unregister();
            }
        }

        private void unregister() {
            meters.forEach(registry::remove);
        }
    }

    // ---- memory and overload -------------------------------------------------------------

    /** What the overload meters read at scrape time (the balancer's figures). */
    public record OverloadSource(LongSupplier budget, LongSupplier used,
                                 Predicate<OverloadAction> active,
                                 ToLongFunction<OverloadAction> activations,
                                 LongSupplier shedBytes, BooleanSupplier stuck) {

        public static OverloadSource of(LoadBalancer lb) {
            return new OverloadSource(lb::memoryBudget, LoadBalancer::memoryUsed, lb::overloadActive,
                    lb::overloadActivations, lb::overloadShedBytes, () -> lb.overloadState().stuck());
        }
    }

    /** The memory budget, its use and the overload manager's actions, read at scrape time. */
    public void addOverload(OverloadSource o) {
        Gauge.builder("wavelb.memory.budget", o, s -> s.budget().getAsLong()).baseUnit("bytes")
                .description("Direct (buffer) memory the data plane may hold: the allocator's limit and the overload manager's 100 %")
                .strongReference(true).register(registry);
        Gauge.builder("wavelb.memory.used", o, s -> s.used().getAsLong()).baseUnit("bytes")
                .description("Direct (buffer) memory the allocator holds").strongReference(true).register(registry);
        for (OverloadAction a : OverloadAction.values()) {
            Gauge.builder("wavelb.overload.active", o, s -> s.active().test(a) ? 1 : 0).tag("action", a.tagValue())
                    .description("1 while the overload action is in force").strongReference(true).register(registry);
            FunctionCounter.builder("wavelb.overload.actions", o, s -> s.activations().applyAsLong(a)).tag("action", a.tagValue())
                    .description("Times the overload action turned on").register(registry);
        }
        FunctionCounter.builder("wavelb.overload.shed", o, s -> s.shedBytes().getAsLong()).baseUnit("bytes")
                .description("Buffered bytes released by closing TCP connections under overload").register(registry);
        Gauge.builder("wavelb.overload.stuck", o, s -> s.stuck().getAsBoolean() ? 1 : 0)
                .description("1 while shedding has not brought memory back under the threshold for 30 s")
                .strongReference(true).register(registry);
    }

    /**
     * Flow logs: records written, records dropped (the writer's queue was full, or the write
     * failed), records waiting. Registered whether flow logs are on or not, so the series exist.
     */
    public void addFlowLog(FlowLog log) {
        FlowLogCounters c = log.counters();
        FunctionCounter.builder("wavelb.flow_log.records", c, FlowLogCounters::written)
                .description("Flow log records written").register(registry);
        FunctionCounter.builder("wavelb.flow_log.dropped", c, FlowLogCounters::droppedQueueFull).tag("reason", "queue_full")
                .description("Flow log records dropped: the writer's queue was full (flow_log.queue), or the write failed")
                .register(registry);
        FunctionCounter.builder("wavelb.flow_log.dropped", c, FlowLogCounters::droppedWriteError).tag("reason", "write_error")
                .description("Flow log records dropped: the writer's queue was full (flow_log.queue), or the write failed")
                .register(registry);
        Gauge.builder("wavelb.flow_log.queued", log, FlowLog::queued)
                .description("Flow log records waiting for the writer").strongReference(true).register(registry);
    }

    /**
     * Takeovers, seen from one side: {@code role} "old" for the process taken over, "new" for the one
     * taking over.
     */
    public void addTakeover(String role, TakeoverStats t) {
        FunctionCounter.builder("wavelb.takeovers", t, x -> x.started.get()).tags("role", role, "result", "started")
                .description("Takeovers by result: started, completed, failed (the old process served on), refused")
                .register(registry);
        FunctionCounter.builder("wavelb.takeovers", t, x -> x.completed.get()).tags("role", role, "result", "completed")
                .register(registry);
        FunctionCounter.builder("wavelb.takeovers", t, x -> x.failed.get()).tags("role", role, "result", "failed")
                .register(registry);
        FunctionCounter.builder("wavelb.takeovers", t, x -> x.refused.get()).tags("role", role, "result", "refused")
                .register(registry);
        FunctionCounter.builder("wavelb.takeover.sessions", t, x -> x.sessions.get()).tag("role", role)
                .description("UDP sessions handed over (old) or taken (new) with their upstream sockets").register(registry);
        FunctionCounter.builder("wavelb.takeover.sockets", t, x -> x.sockets.get()).tag("role", role)
                .description("Sockets handed over (old) or received (new): listener members and session sockets").register(registry);
        Gauge.builder("wavelb.takeover.duration", t, x -> x.lastDurationNanos.get() / 1e9).tag("role", role).baseUnit("seconds")
                .description("The last completed takeover, first message to last").strongReference(true).register(registry);
        Gauge.builder("wavelb.takeover.pause", t, x -> x.lastPauseNanos.get() / 1e9).tag("role", role).baseUnit("seconds")
                .description("The part of the last takeover in which no process read the sockets (the kernel queued)")
                .strongReference(true).register(registry);
    }

    public void reloadResult(boolean ok) {
        (ok ? reloadSuccess : reloadFailure).increment();
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
