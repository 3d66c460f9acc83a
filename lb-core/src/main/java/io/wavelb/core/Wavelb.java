package io.wavelb.core;

import io.wavelb.config.WavelbConfig;
import io.wavelb.core.admin.AdminServer;
import io.wavelb.core.health.HealthHooks;
import io.wavelb.core.listener.InheritedSockets;
import io.wavelb.core.metrics.MetricsHooks;
import io.wavelb.core.metrics.WavelbMetrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The whole process: the balancer, its metrics and its admin endpoint (and, through the
 * balancer's hooks, health checks). {@link #start} brings all of them up or none.
 */
public final class Wavelb implements AutoCloseable {

    private final LoadBalancer balancer;
    private final WavelbMetrics metrics;
    private final AdminServer admin;

    private Wavelb(LoadBalancer balancer, WavelbMetrics metrics, AdminServer admin) {
        this.balancer = balancer;
        this.metrics = metrics;
        this.admin = admin;
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
        WavelbMetrics metrics = new WavelbMetrics();
        List<LoadBalancer.LifecycleHooks> hooks = new ArrayList<>();
        hooks.add(new MetricsHooks(metrics));
        hooks.add(new HealthHooks(metrics));
        hooks.addAll(extra);
        LoadBalancer lb;
        try {
            lb = LoadBalancer.start(config, configFile, hooks, inherited);
        } catch (Exception | Error e) {
            metrics.close();
            throw e;
        }
        metrics.addOverload(WavelbMetrics.OverloadSource.of(lb));
        AdminServer admin;
        try {
            admin = AdminServer.start(config.admin(), lb.transport(), lb, metrics);
        } catch (Exception | Error e) {
            lb.close();
            metrics.close();
            throw e;
        }
        Wavelb w = new Wavelb(lb, metrics, admin);
        // A reload that names a token file which cannot be read is refused whole: config and token stay.
        lb.addReloadParticipant(next -> admin.prepareToken(next.admin().tokenFile()));
        return w;
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
        admin.close();
        metrics.close();
    }

    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }
}
