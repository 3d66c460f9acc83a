package io.wavelb.agent;

import io.micrometer.core.instrument.Counter;
import io.wavelb.agent.aws.AutoScalingLifecycle;
import io.wavelb.agent.identity.Identity;
import io.wavelb.agent.reconcile.LifecycleSignal;
import io.wavelb.config.AgentConfig;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code agent.lifecycle}: watches IMDS for the instance being terminated by its Auto Scaling group
 * (or, optionally, a Spot interruption notice), and then runs the agent's own TTL-aware drain,
 * sending RecordLifecycleActionHeartbeat every {@code heartbeat_interval} while it lasts, and
 * completes the hook with CONTINUE once it is done: scale-in waits for the flows instead of cutting
 * them. Called from the agent's loop thread; the heartbeats run on a virtual thread of their own.
 * Each hook call is one attempt counted under {@code autoscaling} ({@link Agent#counted}), not
 * {@link io.wavelb.agent.aws.AwsRetry}: the completion retries on its own schedule, and the
 * heartbeat thread must not share the loop's backoff (its random generator is the loop's alone).
 */
public final class LifecycleWatch {

    private static final System.Logger LOG = System.getLogger(LifecycleWatch.class.getName());

    private final AgentConfig.Lifecycle config;
    private final Identity.Imds imds;
    private final AutoScalingLifecycle hook;
    private AtomicInteger leaving = new AtomicInteger();
    private Counter heartbeats;
    private Counter completions;
    private Counter failures;
    private boolean warned;

    public LifecycleWatch(AgentConfig.Lifecycle config, Identity.Imds imds, AutoScalingLifecycle hook) {
        this.config = config;
        this.imds = imds;
        this.hook = hook;
    }

    /** Uses the agent's lifecycle meters (registered by every agent, so dashboards always find them). */
    public LifecycleWatch bind(Agent agent) {
        Agent.LifecycleMeters m = agent.lifecycleMeters();
        this.leaving = m.leaving();
        this.heartbeats = m.heartbeats();
        this.completions = m.completions();
        this.failures = m.failures();
        return this;
    }

    /** One look at IMDS; an IMDS that does not answer is logged once and means "not leaving". */
    public Optional<LifecycleSignal.Leaving> check() throws InterruptedException {
        try {
            return LifecycleSignal.leaving(imds.find("autoscaling/target-lifecycle-state"),
                    config.spotInterruption() ? imds.find("spot/instance-action") : Optional.empty(), config.spotInterruption());
        } catch (IOException e) {
            if (!warned) {
                warned = true;
                LOG.log(System.Logger.Level.WARNING, "lifecycle: IMDS not readable (" + e.getMessage()
                        + "); retrying every poll, this warning is not repeated");
            }
            return Optional.empty();
        }
    }

    /**
     * Drains (if the agent ever started) while heartbeating the hook, then completes it with
     * CONTINUE when the signal came from Auto Scaling. True when the drain and the completion succeeded.
     */
    public boolean drainThenComplete(Agent agent, boolean started, LifecycleSignal.Leaving why) throws InterruptedException {
        leaving.set(1);
        LOG.log(System.Logger.Level.INFO, "lifecycle: " + why.reason() + ": draining"
                + (why.completeHook() ? ", then CompleteLifecycleAction CONTINUE for hook '" + config.hookName() + "'" : ""));
        Thread beat = null;
        if (why.completeHook()) {
            beat = Thread.ofVirtual().name("wavelb-agent-lifecycle-heartbeat").start(() -> {
                try {
                    while (true) {
                        Thread.sleep(config.heartbeatInterval().toMillis());
                        try {
                            agent.counted("autoscaling", () -> {
                                hook.heartbeat();
                                return null;
                            });
                            heartbeats.increment();
                            LOG.log(System.Logger.Level.INFO, "lifecycle: heartbeat sent (the drain goes on)");
                        } catch (RuntimeException e) {
                            failures.increment();
                            LOG.log(System.Logger.Level.WARNING, "lifecycle: heartbeat failed: " + e.getMessage());
                        }
                    }
                } catch (InterruptedException done) {
                    // the drain is over
                }
            });
        }
        boolean clean = true;
        try {
            if (started) {
                clean = agent.drain();
            }
        } finally {
            if (beat != null) {
                beat.interrupt();
                beat.join();
            }
        }
        if (!why.completeHook()) {
            return clean;
        }
        for (int attempt = 1; ; attempt++) {
            try {
                agent.counted("autoscaling", () -> {
                    hook.complete();
                    return null;
                });
                completions.increment();
                LOG.log(System.Logger.Level.INFO, "lifecycle: CompleteLifecycleAction CONTINUE sent for hook '"
                        + config.hookName() + "'");
                return clean;
            } catch (RuntimeException e) {
                failures.increment();
                LOG.log(System.Logger.Level.WARNING, "lifecycle: CompleteLifecycleAction failed (attempt " + attempt + "): "
                        + e.getMessage() + (attempt < 5 ? "; retrying" : "; the hook's timeout and default result decide"));
                if (attempt >= 5) {
                    return false;
                }
                Thread.sleep(1000L * attempt);
            }
        }
    }
}
