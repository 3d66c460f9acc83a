package io.wavelb.agent.cli;

import com.sun.net.httpserver.HttpServer;
import io.wavelb.agent.Agent;
import io.wavelb.agent.LifecycleWatch;
import io.wavelb.agent.reconcile.LifecycleSignal;
import io.wavelb.agent.aws.CloudMapInstances;
import io.wavelb.agent.aws.Route53Records;
import io.wavelb.agent.discovery.TargetFilter;
import io.wavelb.agent.dns.DnsPlanner;
import io.wavelb.agent.dns.RecordSet;
import io.wavelb.agent.feed.BalancerClient;
import io.wavelb.agent.identity.Identity;
import io.wavelb.agent.reconcile.LoadFigures;
import io.wavelb.agent.reconcile.WeightGovernor;
import io.wavelb.config.AgentConfig;
import io.wavelb.config.AgentConfigLoader;
import io.wavelb.config.ConfigException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import software.amazon.awssdk.services.route53.Route53Client;
import software.amazon.awssdk.services.servicediscovery.ServiceDiscoveryClient;
import sun.misc.Signal;

/** {@code wavelb-agent run} and {@code plan}: wiring the clients, the loop, signals and metrics. */
final class AgentRun {

    private static final System.Logger LOG = System.getLogger(AgentRun.class.getName());

    private AgentRun() {
    }

    static int command(String name, List<String> args, PrintStream out, PrintStream err) {
        if (args.size() != 2 || !args.get(0).equals("--config")) {
            err.println("usage: wavelb-agent " + name + " --config FILE");
            return AgentMain.USAGE;
        }
        AgentConfig config;
        try {
            config = AgentConfigLoader.load(Path.of(args.get(1)));
        } catch (ConfigException e) {
            e.problems().forEach(p -> err.println(p.format()));
            err.println("wavelb-agent: " + args.get(1) + " is invalid; nothing started");
            return AgentMain.USAGE;
        } catch (IOException e) {
            err.println("wavelb-agent: " + args.get(1) + ": cannot read: " + e.getMessage());
            return AgentMain.USAGE;
        }
        Identity me;
        // One EC2 client for the process: the identity is read at start and its public address again
        // every identity.refresh_interval.
        var ec2 = io.wavelb.agent.aws.Ec2Addresses.client(config.aws().region(), config.aws().endpoint());
        java.util.function.Function<String, Optional<String>> fromEc2 = id -> io.wavelb.agent.aws.Ec2Addresses.publicAddress(ec2, id);
        try {
            me = Identity.resolve(config.identity(), config.aws().imdsEndpoint(), orImds(fromEc2), zone -> {
                try {
                    return io.wavelb.agent.aws.Ec2Addresses.borderGroup(ec2, zone);
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "EC2: cannot read the network border group of " + zone + ": "
                            + e.getMessage() + "; taking the zone's name (right for a Wavelength zone)");
                    return Optional.empty();
                }
            });
        } catch (IOException e) {
            ec2.close();
            err.println("wavelb-agent: cannot learn this instance's identity: " + e.getMessage());
            return AgentMain.FAILED;
        } catch (InterruptedException e) {
            ec2.close();
            Thread.currentThread().interrupt();
            return AgentMain.FAILED;
        }
        if (config.dns().recordName().contains("{")) {
            try {
                AgentConfig.Dns d = config.dns();
                config = new AgentConfig(config.clusterId(), config.balancer(), config.identity(), config.aws(),
                        new AgentConfig.Dns(d.hostedZoneId(), io.wavelb.agent.dns.RecordNames.expand(d.recordName(), me.zone(),
                                me.networkBorderGroup()), d.ttl(), d.weight(), d.auto()), config.cloudMap(), config.drain(),
                        config.metricsListen(), config.reconcile(), config.lifecycle());
            } catch (IllegalArgumentException e) {
                ec2.close();
                err.println("wavelb-agent: " + e.getMessage());
                return AgentMain.USAGE;
            }
        }
        Route53Client r53 = Route53Records.client(config.aws().region(), config.aws().endpoint());
        ServiceDiscoveryClient sd = CloudMapInstances.client(config.aws().region(), config.aws().endpoint());
        try {
            Route53Records dns = new Route53Records(r53, config.dns().hostedZoneId());
            CloudMapInstances peers = new CloudMapInstances(sd, config.cloudMap().namespace(), config.cloudMap().service());
            CloudMapInstances targets = new CloudMapInstances(sd, config.cloudMap().namespace(), config.cloudMap().targetsService());
            BalancerClient balancer = new BalancerClient(config.balancer().adminUrl(), config.balancer().tokenFile());
            if (name.equals("plan")) {
                return plan(config, me, dns, peers, targets, balancer, out);
            }
            Identity.Imds imds = new Identity.Imds(config.aws().imdsEndpoint());
            AgentConfig.Identity configured = config.identity();
            java.time.Duration refresh = configured.refreshInterval().orElse(config.cloudMap().pollInterval());
            // Counted where EC2 is called: a failure there falls back to IMDS, so it never reaches the agent.
            return run(config, me, dns, peers, targets, balancer, (agent) -> agent.withIdentitySource(
                    current -> current.refreshed(configured, imds, orImds(id -> agent.counted("ec2", () -> fromEc2.apply(id)))),
                    refresh));
        } catch (Exception e) {
            err.println("wavelb-agent: " + e);
            return AgentMain.FAILED;
        } finally {
            r53.close();
            sd.close();
            ec2.close();
        }
    }

    /** The public address as EC2 knows it; empty (the caller asks IMDS) when EC2 cannot be read. */
    private static java.util.function.Function<String, Optional<String>> orImds(
            java.util.function.Function<String, Optional<String>> fromEc2) {
        return id -> {
            try {
                return fromEc2.apply(id);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "EC2: cannot read the Carrier/public IP of " + id + ": "
                        + e.getMessage() + "; asking IMDS");
                return Optional.empty();
            }
        };
    }

    private static int plan(AgentConfig config, Identity me, Route53Records dns, CloudMapInstances peers,
                            CloudMapInstances targets, BalancerClient balancer, PrintStream out) throws InterruptedException {
        out.println("identity: " + me);
        boolean ready = balancer.ready();
        int weight = weight(config, balancer, out);
        if (!ready) {
            out.println("balancer " + config.balancer().adminUrl() + " /readyz: not ready; run publishes weight 0 until it is"
                    + " (the plan below shows the weight once ready)");
        }
        DnsPlanner.Plan plan = DnsPlanner.plan(config.clusterId(), config.dns().recordName(), dns.read(config.dns().recordName()),
                Optional.of(new DnsPlanner.Desired(me.instanceId(), me.publicIp(), weight,
                        config.dns().ttl().toSeconds())), me.instanceId(), java.util.Set.of());
        out.println("Route 53, zone " + dns.zoneId() + ", " + config.dns().recordName() + ": "
                + (plan.isEmpty() ? "no changes" : plan.changes().size() + " change(s), in order, one batch"));
        plan.changes().forEach(c -> out.println("  " + describe(c)));
        plan.refused().forEach(r -> out.println("  refused: " + r));
        boolean registered = peers.discoverAll().stream().anyMatch(i -> i.id().equals(me.instanceId()));
        out.println("Cloud Map " + config.cloudMap().namespace() + "/" + config.cloudMap().service() + ":");
        out.println("  " + (registered ? "RE-REGISTER " : "REGISTER ") + me.instanceId() + " "
                + new java.util.TreeMap<>(Agent.registration(config, me, weight, System.currentTimeMillis())));
        out.println("  HEALTH " + me.instanceId() + " HEALTHY (custom health, every "
                + seconds(config.cloudMap().heartbeatInterval()) + ")");
        TargetFilter.Result t = TargetFilter.targets(targets.discoverHealthy(), me.zone(), config.cloudMap().crossZone());
        out.println("targets for group '" + config.balancer().targetGroup() + "':");
        t.targets().forEach(x -> out.println("  " + x.address()));
        t.skipped().forEach(x -> out.println("  skipped: " + x));
        return AgentMain.OK;
    }

    /** The weight run would publish while ready, printed with why. */
    private static int weight(AgentConfig config, BalancerClient balancer, PrintStream out) throws InterruptedException {
        if (config.dns().auto().isEmpty()) {
            out.println("weight: " + config.dns().weight() + " (fixed: dns.weight)");
            return config.dns().weight();
        }
        AgentConfig.AutoWeight a = config.dns().auto().get();
        WeightGovernor g = new WeightGovernor(a.maxWeight(), a.targetUtilization(), a.minChange(), a.minInterval().toNanos());
        WeightGovernor.Decision d;
        try {
            LoadFigures f = balancer.load();
            d = g.decide(f.utilization(), System.nanoTime());
            out.println(String.format(java.util.Locale.ROOT, "load: %.1f new flows/s, %.1f datagrams/s, %.0f bytes/s",
                    f.newFlowsPerSecond(), f.datagramsPerSecond(), f.bytesPerSecond()));
        } catch (IOException e) {
            d = g.unknown(e.getMessage());
        }
        out.println("weight: " + d.weight() + " (auto: " + d.why() + "; changes at least " + seconds(a.minInterval())
                + " apart and by at least " + a.minChange() + ")");
        return d.weight();
    }

    private static String seconds(java.time.Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    /** {@code UPSERT A media.example.com [i-0123] weight=100 ttl=30 155.146.10.20}: one line per change. */
    static String describe(DnsPlanner.Change change) {
        String action = switch (change) {
            case DnsPlanner.Upsert u -> "UPSERT";
            case DnsPlanner.Delete d -> "DELETE";
        };
        RecordSet r = change.record();
        return action + " " + r.type() + " " + r.name() + " [" + r.setIdentifier() + "] weight=" + r.weight() + " ttl="
                + r.ttlSeconds() + " " + String.join(" ", r.values());
    }

    private static int run(AgentConfig config, Identity me, Route53Records dns, CloudMapInstances peers,
                           CloudMapInstances targets, BalancerClient balancer,
                           java.util.function.UnaryOperator<Agent> wiring) throws Exception {
        Optional<io.wavelb.agent.aws.CloudWatchLoad> cw = config.aws().cloudWatch().map(c -> new io.wavelb.agent.aws.CloudWatchLoad(
                io.wavelb.agent.aws.CloudWatchLoad.client(config.aws().region(), config.aws().endpoint()), c.namespace(),
                config.clusterId(), me.zone()));
        Optional<io.wavelb.agent.aws.AutoScalingLifecycle> hook = config.lifecycle().map(l ->
                new io.wavelb.agent.aws.AutoScalingLifecycle(io.wavelb.agent.aws.AutoScalingLifecycle.client(config.aws().region(),
                        config.aws().endpoint()), l.hookName(), l.autoScalingGroup(), me.instanceId()));
        try {
            Agent agent = wiring.apply(new Agent(config, me, dns, peers, targets, balancer, cw));
            Optional<LifecycleWatch> watch = config.lifecycle().map(l -> new LifecycleWatch(l,
                    new Identity.Imds(config.aws().imdsEndpoint()), hook.get()).bind(agent));
            return run(config, agent, watch);
        } finally {
            cw.ifPresent(io.wavelb.agent.aws.CloudWatchLoad::close);
            hook.ifPresent(io.wavelb.agent.aws.AutoScalingLifecycle::close);
        }
    }

    private static int run(AgentConfig config, Agent agent, Optional<LifecycleWatch> watch) throws Exception {
        HttpServer metrics = HttpServer.create(new InetSocketAddress(config.metricsListen().host(), config.metricsListen().port()), 16);
        metrics.createContext("/metrics", ex -> {
            byte[] body = agent.metrics().scrape().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(body);
            }
        });
        metrics.start();
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), s -> stop.countDown());
        Signal.handle(new Signal("INT"), s -> stop.countDown());
        // The loop and the drain run on one virtual thread: every AWS, IMDS and admin call in them
        // blocks, and one loop means Route 53 is never changed concurrently by the same agent.
        AtomicReference<Exception> failure = new AtomicReference<>();
        Thread loop = Thread.ofVirtual().name("wavelb-agent-loop").start(() -> {
            try {
                if (!loop(config, agent, watch, stop)) {
                    failure.set(new IllegalStateException("the drain left something behind (see the warnings above)"));
                }
            } catch (Exception e) {
                failure.set(e);
            }
        });
        loop.join();
        metrics.stop(0);
        if (failure.get() != null) {
            LOG.log(System.Logger.Level.ERROR, "agent failed: " + failure.get());
            return AgentMain.FAILED;
        }
        LOG.log(System.Logger.Level.INFO, "stopped");
        return AgentMain.OK;
    }

    /** Runs rounds until SIGTERM/SIGINT, then drains; false when a drain phase failed. */
    private static boolean loop(AgentConfig config, Agent agent, Optional<LifecycleWatch> watch, CountDownLatch stop)
            throws Exception {
        long poll = config.cloudMap().pollInterval().toMillis();
        boolean started = false;
        while (stop.getCount() > 0) {
            Optional<LifecycleSignal.Leaving> leaving = watch.isPresent() ? watch.get().check() : Optional.empty();
            if (leaving.isPresent()) {
                // Terminating: drain now, by ourselves, then let Auto Scaling go on; the process exits
                // 0 (systemd's Restart=on-failure leaves it down while the instance terminates).
                return watch.get().drainThenComplete(agent, started, leaving.get());
            }
            try {
                if (!started) {
                    agent.start();
                    started = true;
                } else {
                    agent.tick();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, (started ? "round failed: " : "start failed, retrying: ") + e);
            }
            stop.await(poll, TimeUnit.MILLISECONDS);
        }
        LOG.log(System.Logger.Level.INFO, "stopping: draining");
        return !started || agent.drain();
    }
}
