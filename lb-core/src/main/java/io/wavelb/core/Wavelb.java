package io.wavelb.core;

import io.wavelb.config.WavelbConfig;
import io.wavelb.core.admin.AdminServer;
import io.wavelb.core.health.HealthHooks;
import io.wavelb.core.listener.InheritedSockets;
import io.wavelb.core.metrics.MetricsHooks;
import io.wavelb.core.metrics.WavelbMetrics;
import io.wavelb.core.takeover.TakeoverProtocol;
import java.net.BindException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The whole process: the balancer, its metrics and its admin endpoint (and, through the
 * balancer's hooks, health checks). {@link #start} brings all of them up or none, the listeners
 * last; {@code wavelb run} does the same in two steps ({@link #prepare}, {@link #bindListeners})
 * to open its control socket in between.
 */
public final class Wavelb implements AutoCloseable {

    /** Between admin binding retries while a takeover's old process lets go of the port. */
    private static final long ADMIN_RETRY_MILLIS = 100;

    private final LoadBalancer balancer;
    private final WavelbMetrics metrics;
    private volatile AdminServer admin;

    private Wavelb(LoadBalancer balancer, WavelbMetrics metrics) {
        this.balancer = balancer;
        this.metrics = metrics;
    }

    public static Wavelb start(WavelbConfig config, Optional<Path> configFile) throws Exception {
        return start(config, configFile, List.of());
    }

    public static Wavelb start(WavelbConfig config, Optional<Path> configFile, List<LoadBalancer.LifecycleHooks> extra)
            throws Exception {
        return start(config, configFile, extra, InheritedSockets.none());
    }

    /** With listener sockets systemd passed (see {@link LoadBalancer#start(WavelbConfig, Optional, List, InheritedSockets)}). */
    public static Wavelb start(WavelbConfig config, Optional<Path> configFile, List<LoadBalancer.LifecycleHooks> extra,
                               InheritedSockets inherited) throws Exception {
        Wavelb w = prepare(config, configFile, extra, inherited);
        w.bindListeners();
        return w;
    }

    /**
     * Everything but the listeners: the balancer without them ({@link LoadBalancer#prepare}), its
     * metrics and health checks, the admin endpoint (which reports not ready until
     * {@link #bindListeners}). All or nothing.
     */
    public static Wavelb prepare(WavelbConfig config, Optional<Path> configFile, List<LoadBalancer.LifecycleHooks> extra,
                                 InheritedSockets inherited) throws Exception {
        Wavelb w = startBalancer(config, configFile, extra, inherited, List.of(), false);
        try {
            w.startAdmin(Duration.ZERO);
        } catch (Exception | Error e) {
            w.balancer.close();
            w.metrics.close();
            throw e;
        }
        return w;
    }

    /**
     * Binds the listeners of a {@link #prepare}d process, the last step of its start: the first
     * datagrams arrive the moment a socket is bound, and everything else is running by then. If a
     * listener cannot bind, stops everything {@link #prepare} started (the admin endpoint too) and
     * throws what the balancer threw.
     */
    public void bindListeners() throws Exception {
        try {
            balancer.bindListeners();
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    /**
     * A takeover's new process: the balancer on the sockets handed over (unread until
     * {@link LoadBalancer#resumeReading}), its targets starting from the health {@code seeded}; no
     * admin endpoint until {@link #startAdmin}, since the process taken over still holds its port.
     */
    public static Wavelb startTakingOver(WavelbConfig config, Optional<Path> configFile, InheritedSockets inherited,
                                         List<TakeoverProtocol.TargetHealth> seeded) throws Exception {
        return startBalancer(config, configFile, List.of(), inherited, seeded, true);
    }

    /** @param bind whether the balancer binds its listeners too, or only {@link LoadBalancer#prepare}s */
    private static Wavelb startBalancer(WavelbConfig config, Optional<Path> configFile,
                                        List<LoadBalancer.LifecycleHooks> extra, InheritedSockets inherited,
                                        List<TakeoverProtocol.TargetHealth> seeded, boolean bind) throws Exception {
        WavelbMetrics metrics = new WavelbMetrics();
        List<LoadBalancer.LifecycleHooks> hooks = new ArrayList<>();
        hooks.add(new MetricsHooks(metrics));
        hooks.add(new HealthHooks(metrics));
        hooks.addAll(extra);
        LoadBalancer lb;
        try {
            lb = bind ? LoadBalancer.start(config, configFile, hooks, inherited, seeded)
                    : LoadBalancer.prepare(config, configFile, hooks, inherited, seeded);
        } catch (Exception | Error e) {
            metrics.close();
            throw e;
        }
        metrics.addOverload(WavelbMetrics.OverloadSource.of(lb));
        metrics.addFlowLog(lb.flowLog());
        return new Wavelb(lb, metrics);
    }

    /**
     * Starts the admin endpoint; while its port is still taken (a takeover's old process closing
     * its own), tries again for up to {@code retryFor}.
     */
    public void startAdmin(Duration retryFor) throws Exception {
        long deadline = System.nanoTime() + retryFor.toNanos();
        while (true) {
            try {
                admin = AdminServer.start(balancer.config().admin(), balancer.transport(), balancer, metrics);
                break;
            } catch (BindException e) {
                if (System.nanoTime() >= deadline) {
                    throw e;
                }
                Thread.sleep(ADMIN_RETRY_MILLIS);
            }
        }
        AdminServer started = admin;
        // A reload that names a token file which cannot be read is refused whole: config and token stay.
        balancer.addReloadParticipant(next -> started.prepareToken(next.admin().tokenFile()));
    }

    /** Closes the admin endpoint (a takeover's old process, so the new one can bind its port). */
    public void closeAdmin() {
        AdminServer a = admin;
        if (a != null) {
            a.close();
        }
    }

    public LoadBalancer balancer() {
        return balancer;
    }

    public WavelbMetrics metrics() {
        return metrics;
    }

    public AdminServer admin() {
        return admin;
    }

    /** Stops taking flows, lets TCP connections finish for up to {@code grace}, then stops everything. */
    public void shutdown(Duration grace) {
        balancer.shutdown(grace);
        closeAdmin();
        metrics.close();
    }

    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }
}
