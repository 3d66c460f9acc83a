package io.wavelb.core.health;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.ScheduledFuture;
import io.wavelb.config.HealthCheckConfig;
import io.wavelb.core.health.state.HealthStateMachine;
import io.wavelb.core.health.state.HealthStatus;
import io.wavelb.core.health.state.ProbeResult;
import io.wavelb.core.transport.Transport;
import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Active health checks of one target group: every target probed every {@code interval}, each
 * starting at a random offset within the first interval so targets are not probed in lockstep.
 * Probes run on the data plane's event loops (they never block); each target's results are handled
 * on the loop that owns it, so its state machine needs no lock. The checker keeps no status of its
 * own: every result and transition goes to the {@link Observer}, which records it on the target
 * ({@code Target.health()}, {@code Target.lastCheckAt()}), the one place a target's health is held.
 */
public final class HealthChecker implements AutoCloseable {

    /** A target to probe: its identity and traffic address (the check's port replaces the port when set). */
    /** @param initial where its state machine starts: the target's current verdict (UNKNOWN when new) */
    public record HealthTarget(String id, InetSocketAddress trafficAddress, HealthStatus initial) {
        public HealthTarget(String id, InetSocketAddress trafficAddress) {
            this(id, trafficAddress, HealthStatus.UNKNOWN);
        }
    }

    /** What the checker reports; called on an event loop, so it must be quick. */
    public interface Observer {
        void onResult(String targetId, ProbeResult result);

        void onTransition(String targetId, HealthStateMachine.Transition transition);
    }

    private final HealthCheckConfig config;
    private final Prober prober;
    private final EventLoopGroup loops;
    private final Observer observer;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, Probed> probed = new HashMap<>();
    private volatile boolean closed;

    private final class Probed {
        final HealthTarget target;
        final InetSocketAddress probeAddress;
        final EventLoop loop;
        final HealthStateMachine machine;
        ScheduledFuture<?> schedule;
        boolean inFlight;
        volatile boolean stopped;

        Probed(HealthTarget target) {
            this.target = target;
            InetSocketAddress a = target.trafficAddress();
            this.probeAddress = config.port() == 0 ? a : new InetSocketAddress(a.getAddress(), config.port());
            this.loop = loops.next();
            this.machine = new HealthStateMachine(config.healthyThreshold(), config.unhealthyThreshold(), target.initial());
        }

        void start() {
            long interval = config.interval().toNanos();
            long offset = ThreadLocalRandom.current().nextLong(interval);
            schedule = loop.scheduleAtFixedRate(this::probeOnce, offset, interval, TimeUnit.NANOSECONDS);
        }

        void probeOnce() {
            if (stopped || inFlight) {
                return;
            }
            inFlight = true;
            prober.probe(probeAddress, loop).whenComplete((result, error) -> loop.execute(() -> {
                inFlight = false;
                ProbeResult r = result != null ? result
                        : ProbeResult.failure(ProbeResult.Kind.ERROR, String.valueOf(error));
                if (stopped) {
                    return;
                }
                observer.onResult(target.id(), r);
                machine.onResult(r).ifPresent(t -> observer.onTransition(target.id(), t));
            }));
        }

        void stop() {
            stopped = true;
            if (schedule != null) {
                schedule.cancel(false);
            }
        }
    }

    public HealthChecker(HealthCheckConfig config, Transport transport, EventLoopGroup loops, Observer observer) {
        this.config = config;
        this.prober = Prober.of(config, transport);
        this.loops = loops;
        this.observer = observer;
    }

    public HealthCheckConfig config() {
        return config;
    }

    /** Probes exactly these targets from now on: new ones start UNKNOWN, kept ones keep their state. */
    public void setTargets(Collection<HealthTarget> targets) {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            Set<String> wanted = new HashSet<>();
            for (HealthTarget t : targets) {
                wanted.add(t.id());
                if (!probed.containsKey(t.id())) {
                    Probed p = new Probed(t);
                    probed.put(t.id(), p);
                    p.start();
                }
            }
            probed.entrySet().removeIf(e -> {
                if (!wanted.contains(e.getKey())) {
                    e.getValue().stop();
                    return true;
                }
                return false;
            });
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            probed.values().forEach(Probed::stop);
            probed.clear();
        } finally {
            lock.unlock();
        }
    }
}
