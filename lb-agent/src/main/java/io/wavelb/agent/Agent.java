package io.wavelb.agent;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.wavelb.agent.aws.AwsRetry;
import io.wavelb.agent.aws.CloudMapInstances;
import io.wavelb.agent.aws.CloudWatchLoad;
import io.wavelb.agent.aws.Route53Records;
import io.wavelb.agent.discovery.DiscoveredInstance;
import io.wavelb.agent.discovery.LivePeers;
import io.wavelb.agent.discovery.TargetFilter;
import io.wavelb.agent.dns.DnsPlanner;
import io.wavelb.agent.dns.Ownership;
import io.wavelb.agent.dns.RecordSet;
import io.wavelb.agent.feed.BalancerClient;
import io.wavelb.agent.identity.Identity;
import io.wavelb.agent.reconcile.Backoff;
import io.wavelb.agent.reconcile.LoadFigures;
import io.wavelb.agent.reconcile.WeightGovernor;
import io.wavelb.agent.reconcile.ReadinessGate;
import io.wavelb.agent.reconcile.StalePeers;
import io.wavelb.agent.reconcile.TokenBucket;
import io.wavelb.config.AgentConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The sidecar's control loop: keeps this instance registered and heartbeating in Cloud Map, its
 * weighted A record (weight coupled to the balancer's readiness) published in Route 53, stale peers'
 * records collected, and the balancer's dynamic targets fed from Cloud Map; and on SIGTERM drains in
 * TTL-aware phases. One virtual thread runs it (every AWS, IMDS and admin call blocks; never an event loop).
 */
public final class Agent {

    private static final System.Logger LOG = System.getLogger(Agent.class.getName());

    /** The drain phases, in order; each is a value of {@code wavelb_agent_drain_phase}. */
    public enum Phase { SERVING, WEIGHT_ZERO, DNS_WAIT, BALANCER_DRAIN, DELETE_RECORD, DEREGISTER, DONE }

    private final AgentConfig config;
    /** Who this instance is; its public address is re-read every identity refresh (the loop owns writes). */
    private volatile Identity me;
    /** Re-reads the identity (empty: nothing to re-read, every part is configured). */
    private IdentitySource identitySource;
    private long identityRefreshNanos;
    private long lastIdentityRead = System.nanoTime();
    private boolean identityStale;
    private final Route53Records dns;
    private final CloudMapInstances peers;
    private final CloudMapInstances targets;
    private final BalancerClient balancer;
    private final StalePeers stale;
    /** After {@code reconcile.unready_after} failed /readyz polls in a row the instance leaves DNS. */
    private final ReadinessGate gate;
    private final Backoff backoff;
    private final int maxAttempts;
    /**
     * The client-side Route 53 budget, spent before every Route 53 attempt (retries included): the
     * account's limit is shared by every agent, the console and IAM users, so each agent stays well under it.
     */
    private final TokenBucket route53Budget;
    /** The budget's tokens after the last spend, for the gauge (the bucket itself is owned by the loop). */
    private final AtomicLong route53BudgetLeft = new AtomicLong();
    private final ReentrantLock budgetLock = new ReentrantLock();
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicInteger publishedWeight = new AtomicInteger(-1);
    private final AtomicLong lastInsyncEpochMillis = new AtomicLong();
    private final AtomicInteger cloudMapUnreachable = new AtomicInteger();
    private volatile Phase phase = Phase.SERVING;
    /** Per service: {@code [calls, throttles]}, resolved once (rule: no meter lookup per call). */
    private final Map<String, Counter[]> apiCounters;
    private final Map<Phase, Counter> drainFailures = new EnumMap<>(Phase.class);
    private long lastRevision = Long.MIN_VALUE;
    private long lastHeartbeat;
    /** {@code dns.weight: auto}: load into weight, with hysteresis; null for a fixed weight. */
    private final WeightGovernor governor;
    /** The weight published while ready: the fixed one, or the governor's last decision. */
    private volatile int readyWeight;
    private final AtomicLong loadUtilizationBits = new AtomicLong(Double.doubleToLongBits(Double.NaN));
    private final AtomicInteger computedWeight = new AtomicInteger(-1);
    private final Optional<CloudWatchLoad> cloudWatch;
    private final LifecycleMeters lifecycleMeters;

    /** The lifecycle hook's meters; {@link LifecycleWatch} counts into them. */
    public record LifecycleMeters(AtomicInteger leaving, Counter heartbeats, Counter completions, Counter failures) {
    }
    private long lastCloudWatch = Long.MIN_VALUE;

    public Agent(AgentConfig config, Identity me, Route53Records dns, CloudMapInstances peers, CloudMapInstances targets,
                 BalancerClient balancer) {
        this(config, me, dns, peers, targets, balancer, Optional.empty());
    }

    /** With {@code cloudWatch}: the load figure is also published as a CloudWatch metric every {@code aws.cloudwatch.interval}. */
    public Agent(AgentConfig config, Identity me, Route53Records dns, CloudMapInstances peers, CloudMapInstances targets,
                 BalancerClient balancer, Optional<CloudWatchLoad> cloudWatch) {
        this.cloudWatch = cloudWatch;
        this.config = config;
        this.me = me;
        this.dns = dns.withBudget(this::spendRoute53Budget);
        this.peers = peers;
        this.targets = targets;
        this.balancer = balancer;
        this.stale = new StalePeers(config.cloudMap().staleAfter().toNanos());
        AgentConfig.Reconcile limits = config.reconcile();
        this.gate = new ReadinessGate(limits.unreadyAfter());
        // A generator of its own, seeded per process: ThreadLocalRandom.current() captured here and
        // used from the loop's virtual thread would draw from that thread's never-initialised seed,
        // the same sequence in every agent of the fleet — retries in lockstep, what jitter is for.
        this.backoff = new Backoff(limits.backoffBase().toNanos(), limits.backoffMax().toNanos(), new SplittableRandom());
        this.maxAttempts = limits.maxAttempts();
        this.route53Budget = new TokenBucket(limits.route53Burst(), limits.route53Rate(), System.nanoTime());
        route53BudgetLeft.set(limits.route53Burst());
        Gauge.builder("wavelb.agent.route53.budget.tokens", route53BudgetLeft, AtomicLong::get)
                .description("Requests left in the client-side Route 53 budget after the last spend").register(metrics);
        Gauge.builder("wavelb.agent.published.weight", publishedWeight, AtomicInteger::get)
                .description("Weight of this instance's A record as last made INSYNC (-1 before the first)").register(metrics);
        Gauge.builder("wavelb.agent.record.age", lastInsyncEpochMillis,
                        t -> t.get() == 0 ? Double.NaN : (System.currentTimeMillis() - t.get()) / 1000.0)
                .baseUnit("seconds").description("Time since this agent's last INSYNC Route 53 change").register(metrics);
        Gauge.builder("wavelb.agent.last.insync.timestamp", lastInsyncEpochMillis, t -> t.get() / 1000.0)
                .baseUnit("seconds").register(metrics);
        Gauge.builder("wavelb.agent.cloud.map.unreachable", cloudMapUnreachable, AtomicInteger::get)
                .description("1 while Cloud Map cannot be read; the last known targets stay").register(metrics);
        for (Phase p : Phase.values()) {
            Gauge.builder("wavelb.agent.drain.phase", () -> phase == p ? 1 : 0).tag("phase", p.name().toLowerCase())
                    .strongReference(true).register(metrics);
            drainFailures.put(p, Counter.builder("wavelb.agent.drain.failures").tag("phase", p.name().toLowerCase())
                    .description("Drain phases that failed; the drain goes on with the next phase").register(metrics));
        }
        apiCounters = Map.of("route53", apiCounters("route53"), "cloudmap", apiCounters("cloudmap"),
                "cloudwatch", apiCounters("cloudwatch"), "autoscaling", apiCounters("autoscaling"), "ec2", apiCounters("ec2"));
        this.governor = config.dns().auto().map(a -> new WeightGovernor(a.maxWeight(), a.targetUtilization(), a.minChange(),
                a.minInterval().toNanos())).orElse(null);
        this.readyWeight = config.dns().weight();
        Gauge.builder("wavelb.agent.load.utilization", loadUtilizationBits, b -> Double.longBitsToDouble(b.get()))
                .description("The balancer's busiest resource, 0..1, as GET /v1/load last reported it (NaN before)")
                .register(metrics);
        AtomicInteger leaving = new AtomicInteger();
        Gauge.builder("wavelb.agent.lifecycle.leaving", leaving, AtomicInteger::get)
                .description("1 once IMDS said this instance is being terminated (Auto Scaling or Spot)").register(metrics);
        this.lifecycleMeters = new LifecycleMeters(leaving,
                Counter.builder("wavelb.agent.lifecycle.heartbeats").description("RecordLifecycleActionHeartbeat calls sent")
                        .register(metrics),
                Counter.builder("wavelb.agent.lifecycle.completions")
                        .description("CompleteLifecycleAction (CONTINUE) calls that succeeded").register(metrics),
                Counter.builder("wavelb.agent.lifecycle.failures")
                        .description("Lifecycle hook calls that failed (heartbeat or completion)").register(metrics));
        Gauge.builder("wavelb.agent.computed.weight", computedWeight, AtomicInteger::get)
                .description("The weight the load formula gives now (the published weight moves to it with hysteresis)")
                .register(metrics);
    }

    /** Reads this instance's identity again. */
    @FunctionalInterface
    public interface IdentitySource {
        Identity reread(Identity current) throws Exception;
    }

    /**
     * Re-reads the identity every {@code interval} and after a round whose Route 53 reconcile
     * failed, so a Carrier IP or Elastic IP that was re-associated reaches the record within one
     * poll interval (with the default refresh, every poll).
     */
    public Agent withIdentitySource(IdentitySource source, Duration interval) {
        this.identitySource = source;
        this.identityRefreshNanos = interval.toNanos();
        return this;
    }

    /** True when the identity changed (the caller re-registers with the new attributes). */
    private boolean refreshIdentity() throws InterruptedException {
        if (identitySource == null || (!identityStale && System.nanoTime() - lastIdentityRead < identityRefreshNanos)) {
            return false;
        }
        lastIdentityRead = System.nanoTime();
        try {
            Identity next = identitySource.reread(me);
            identityStale = false;
            if (next.equals(me)) {
                return false;
            }
            LOG.log(System.Logger.Level.INFO, "identity changed: public address " + me.publicIp() + " -> " + next.publicIp());
            me = next;
            return true;
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "identity: cannot re-read the public address (" + e.getMessage()
                    + "); keeping " + me.publicIp());
            return false;
        }
    }

    /** {@code aws.cloudwatch}: one PutMetricData per interval; a failure is logged and retried next interval. */
    void publishLoad(double utilization) {
        if (cloudWatch.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        long interval = config.aws().cloudWatch().map(c -> c.interval().toNanos()).orElse(0L);
        if (lastCloudWatch != Long.MIN_VALUE && now - lastCloudWatch < interval) {
            return;
        }
        lastCloudWatch = now;
        try {
            counted("cloudwatch", () -> {
                cloudWatch.get().publish(utilization, gate.weight(readyWeight), java.time.Instant.now());
                return null;
            });
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "CloudWatch PutMetricData: " + e.getMessage() + "; next interval retries");
        }
    }

    public LifecycleMeters lifecycleMeters() {
        return lifecycleMeters;
    }

    /**
     * {@code dns.weight: auto}: reads the balancer's load and lets the governor decide the weight
     * published while ready. An unreadable load keeps the weight (a load-signal outage is not a
     * reason to move traffic). Returns whether the weight published while ready changed.
     */
    private boolean updateWeight() throws InterruptedException {
        if (governor == null && cloudWatch.isEmpty()) {
            return false;
        }
        LoadFigures.Utilization u = null;
        String failure = null;
        try {
            u = balancer.load().utilization();
            loadUtilizationBits.set(Double.doubleToLongBits(u.value()));
        } catch (IOException e) {
            failure = e.getMessage();
        }
        if (u != null) {
            publishLoad(u.value());
        }
        if (governor == null) {
            return false;
        }
        WeightGovernor.Decision d = u != null ? governor.decide(u, System.nanoTime()) : governor.unknown(failure);
        computedWeight.set(d.computed());
        if (d.changed()) {
            LOG.log(System.Logger.Level.INFO, "weight " + readyWeight + " -> " + d.weight() + ": " + d.why());
        }
        boolean changed = d.weight() != readyWeight;
        readyWeight = d.weight();
        return changed;
    }

    public PrometheusMeterRegistry metrics() {
        return metrics;
    }

    public Phase phase() {
        return phase;
    }

    private Counter[] apiCounters(String service) {
        return new Counter[] {
            Counter.builder("wavelb.agent.api.calls").tag("service", service).register(metrics),
            Counter.builder("wavelb.agent.throttles").tag("service", service).register(metrics)};
    }

    private void count(String service, boolean throttled) {
        Counter[] c = apiCounters.get(service);
        c[0].increment();
        if (throttled) {
            c[1].increment();
        }
    }

    /**
     * One AWS call made without {@link #aws}'s retries (CloudWatch, EC2 for the identity, the
     * lifecycle hook), counted under {@code service}; a failure is a throttle only when AWS throttled
     * it ({@link AwsRetry#throttled}). Safe from any thread: it only touches the counters.
     */
    public <T> T counted(String service, Supplier<T> call) {
        try {
            T t = call.get();
            count(service, false);
            return t;
        } catch (RuntimeException e) {
            count(service, AwsRetry.throttled(e));
            throw e;
        }
    }

    /** Calls AWS through {@link AwsRetry}, counting every attempt and throttle under {@code service}. */
    private <T> T aws(String service, Callable<T> call) throws Exception {
        return AwsRetry.call(backoff, maxAttempts, call, throttled -> count(service, throttled));
    }

    /**
     * Waits until the budget has a request, then spends it. Called by {@link Route53Records} before
     * each request; only the reconcile loop sends Route 53 requests, the lock keeps that honest.
     */
    private void spendRoute53Budget() {
        budgetLock.lock();
        try {
            long wait;
            while ((wait = route53Budget.nanosUntil(1, System.nanoTime())) > 0) {
                Thread.sleep(wait / 1_000_000 + 1);
            }
            route53Budget.tryTake(1, System.nanoTime());
            route53BudgetLeft.set((long) route53Budget.available(System.nanoTime()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while waiting for the Route 53 budget");
        } finally {
            budgetLock.unlock();
        }
    }

    /**
     * Polls the balancer once, registers in Cloud Map (HEALTHY only if it was ready) and publishes
     * the record (weight 0 until it is); the agent is then serving. Throws when the registration
     * fails, so the caller retries the start.
     */
    public void start() throws Exception {
        poll();
        // dns.weight: auto: the registration carries the weight the load gives, not the ceiling.
        updateWeight();
        heartbeat(gate.healthy());
        LOG.log(System.Logger.Level.INFO, "registered " + me.instanceId() + " (" + me.publicIp() + ", " + me.zone()
                + ") in Cloud Map " + config.cloudMap().namespace() + "/" + config.cloudMap().service()
                + (gate.healthy() ? "" : "; balancer not ready yet: UNHEALTHY, weight 0"));
        // The load was read a moment ago for the registration: a second read now would make the
        // governor decide twice in one instant, and put the load to CloudWatch twice.
        publish(refreshIdentity());
    }

    private static String version() {
        String v = Agent.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /**
     * The Cloud Map attributes this instance registers with (also shown by {@code plan}), {@code weight}
     * the one published while ready: with {@code dns.weight: auto} the governor's, not {@code dns.weight}
     * (then only its ceiling).
     */
    public static Map<String, String> registration(AgentConfig config, Identity me, int weight, long nowMillis) {
        return Map.of(DiscoveredInstance.IPV4, me.privateIp(), DiscoveredInstance.CARRIER_IP,
                me.publicIp(), DiscoveredInstance.ZONE, me.zone(), DiscoveredInstance.NETWORK_BORDER_GROUP,
                me.networkBorderGroup(), DiscoveredInstance.WEIGHT, Integer.toString(weight),
                DiscoveredInstance.VERSION, version(), DiscoveredInstance.HEARTBEAT, Long.toString(nowMillis));
    }

    /**
     * (Re-)registers with a fresh {@code WAVELB_HEARTBEAT} attribute (RegisterInstance on an
     * existing id updates it) and sets the custom health: peers read both.
     */
    private void heartbeat(boolean healthy) throws Exception {
        Map<String, String> attrs = registration(config, me, readyWeight, System.currentTimeMillis());
        aws("cloudmap", () -> {
            peers.register(me.instanceId(), attrs);
            peers.heartbeat(me.instanceId(), healthy);
            return null;
        });
        lastHeartbeat = System.nanoTime();
    }

    /** One round of the loop: readiness, heartbeat, targets, DNS. Errors are logged; the next round retries. */
    public void tick() throws InterruptedException {
        round(poll());
    }

    /** One {@code /readyz} poll into the gate; true when it changed the instance's state. */
    private boolean poll() throws InterruptedException {
        boolean changed = gate.onPoll(balancer.ready());
        if (changed) {
            LOG.log(gate.healthy() ? System.Logger.Level.INFO : System.Logger.Level.WARNING, gate.healthy()
                    ? "balancer ready: weight " + readyWeight + " and HEALTHY in Cloud Map"
                    : "balancer not ready " + config.reconcile().unreadyAfter() + " times in a row: weight 0 and UNHEALTHY in Cloud Map");
        }
        return changed;
    }

    private void round(boolean changed) throws InterruptedException {
        changed |= refreshIdentity();
        // Before the heartbeat: a new weight re-registers at once, so Cloud Map's WAVELB_WEIGHT
        // says what Route 53 is about to say, not what it said a heartbeat interval ago.
        changed |= updateWeight();
        publish(changed);
    }

    /** The rest of a round: heartbeat (at once when {@code changed}), targets, DNS. */
    private void publish(boolean changed) throws InterruptedException {
        try {
            if (changed || System.nanoTime() - lastHeartbeat >= config.cloudMap().heartbeatInterval().toNanos()) {
                heartbeat(gate.healthy());
            }
            feedTargets();
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            cloudMapUnreachable.set(1);
            LOG.log(System.Logger.Level.WARNING, "Cloud Map: " + e.getMessage() + "; keeping the last known targets");
        }
        try {
            reconcileDns(Optional.of(new DnsPlanner.Desired(me.instanceId(), me.publicIp(), gate.weight(readyWeight),
                    config.dns().ttl().toSeconds())));
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            identityStale = true;
            LOG.log(System.Logger.Level.WARNING, "Route 53: " + e.getMessage() + "; retrying next round");
        }
    }

    private void feedTargets() throws Exception {
        long revision = aws("cloudmap", targets::revision);
        cloudMapUnreachable.set(0);
        if (revision == lastRevision) {
            return;
        }
        List<DiscoveredInstance> found = aws("cloudmap", targets::discoverHealthy);
        TargetFilter.Result r = TargetFilter.targets(found, me.zone(), config.cloudMap().crossZone());
        r.skipped().forEach(s -> LOG.log(System.Logger.Level.DEBUG, "target skipped: " + s));
        try {
            balancer.putTargets(config.balancer().targetGroup(), r.targets());
            lastRevision = revision;
            LOG.log(System.Logger.Level.INFO, "fed " + r.targets().size() + " target(s) to group '"
                    + config.balancer().targetGroup() + "' (Cloud Map revision " + revision + ")");
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "could not feed the balancer: " + e.getMessage());
        }
    }

    /** Reads, plans and applies this instance's record, collecting stale peers on the way. */
    void reconcileDns(Optional<DnsPlanner.Desired> self) throws Exception {
        List<RecordSet> current = aws("route53", () -> dns.read(config.dns().recordName()));
        Set<String> owned = new HashSet<>();
        for (RecordSet r : current) {
            if (r.type() == RecordSet.Type.TXT) {
                r.values().stream().map(Ownership::parse).flatMap(Optional::stream)
                        .filter(o -> o.clusterId().equals(config.clusterId())).forEach(o -> owned.add(o.instanceId()));
            }
        }
        // A peer is live while it heartbeats; an unhealthy but heartbeating peer (weight 0) keeps its record.
        // Cloud Map unreadable: this instance's own record is still published (its weight may be
        // going to 0, or the record leaving in a drain); only the collection of peers waits.
        Set<String> staleIds;
        try {
            Set<String> live = new HashSet<>(LivePeers.alive(aws("cloudmap", peers::discoverAll), System.currentTimeMillis(),
                    config.cloudMap().staleAfter().toMillis()));
            live.add(me.instanceId());
            staleIds = stale.update(owned, live, System.nanoTime());
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            cloudMapUnreachable.set(1);
            LOG.log(System.Logger.Level.WARNING, "Cloud Map: cannot read peers (" + e.getMessage()
                    + "); no stale records collected this round");
            staleIds = Set.of();
        }
        DnsPlanner.Plan plan = DnsPlanner.plan(config.clusterId(), config.dns().recordName(), current, self, me.instanceId(),
                staleIds);
        plan.refused().forEach(r -> LOG.log(System.Logger.Level.WARNING, "Route 53: " + r));
        if (plan.isEmpty()) {
            return;
        }
        aws("route53", () -> {
            dns.apply(plan.changes(), Duration.ofMinutes(2));
            return null;
        });
        lastInsyncEpochMillis.set(System.currentTimeMillis());
        publishedWeight.set(self.map(DnsPlanner.Desired::weight).orElse(-1));
        if (!staleIds.isEmpty()) {
            LOG.log(System.Logger.Level.INFO, "collected the records of stale peer(s) " + staleIds);
        }
        LOG.log(System.Logger.Level.INFO, "Route 53 INSYNC: " + plan.changes().size() + " change(s) under "
                + config.dns().recordName());
    }

    /** One drain phase's work; a failure is logged and counted, and the drain goes on. */
    @FunctionalInterface
    private interface PhaseWork {
        void run() throws Exception;
    }

    /**
     * SIGTERM: leave DNS first, wait for resolvers, let the balancer's flows end, then leave
     * everything. Every phase runs even when an earlier one failed (a record left behind at weight
     * 100 is worse than one deleted early, and a peer collects whatever is left after stale_after).
     *
     * @return true when every phase succeeded
     */
    public boolean drain() throws InterruptedException {
        boolean clean = true;
        enter(Phase.WEIGHT_ZERO);
        clean &= attempt(Phase.WEIGHT_ZERO, () -> reconcileDns(Optional.of(new DnsPlanner.Desired(me.instanceId(),
                me.publicIp(), 0, config.dns().ttl().toSeconds()))));
        enter(Phase.DNS_WAIT);
        Thread.sleep(config.drain().dnsWait().toMillis());
        enter(Phase.BALANCER_DRAIN);
        try {
            balancer.drain();
            long deadline = System.nanoTime() + config.drain().timeout().toNanos();
            int open;
            while ((open = balancer.openFlows()) > 0 && System.nanoTime() - deadline < 0) {
                Thread.sleep(500);
            }
            LOG.log(System.Logger.Level.INFO, open == 0 ? "balancer drained" : "drain timeout with " + open + " flow(s) open");
        } catch (IOException e) {
            // A balancer that is already gone has no flows left to wait for.
            LOG.log(System.Logger.Level.WARNING, "balancer drain: " + e.getMessage() + "; going on");
        }
        enter(Phase.DELETE_RECORD);
        clean &= attempt(Phase.DELETE_RECORD, () -> reconcileDns(Optional.empty()));
        enter(Phase.DEREGISTER);
        clean &= attempt(Phase.DEREGISTER, () -> aws("cloudmap", () -> {
            peers.deregister(me.instanceId());
            return null;
        }));
        enter(Phase.DONE);
        return clean;
    }

    private boolean attempt(Phase p, PhaseWork work) throws InterruptedException {
        try {
            work.run();
            return true;
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            drainFailures.get(p).increment();
            LOG.log(System.Logger.Level.WARNING, "drain phase " + p.name().toLowerCase() + " failed: " + e.getMessage()
                    + "; going on (a peer collects what is left after stale_after)");
            return false;
        }
    }

    private void enter(Phase p) {
        phase = p;
        LOG.log(System.Logger.Level.INFO, "drain phase: " + p.name().toLowerCase());
    }
}
