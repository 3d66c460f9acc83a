package io.wavelb.core.admin;

import io.wavelb.config.HostPort;
import io.wavelb.config.Problem;
import java.time.Instant;
import java.util.List;

/**
 * What the admin endpoint can ask of, and do to, the running balancer. Implemented by the data
 * plane; the HTTP layer only translates requests and answers. Every method is thread-safe and
 * returns quickly (no method waits for flows to drain).
 */
public interface AdminOperations {

    /** Ready = every listener is bound and every target group has at least one healthy target. */
    Readiness readiness();

    /**
     * Alive = every data-plane event loop ran recently and no part of the balancer reports itself
     * stuck. {@code /healthz} answers from it on the admin event loop, so it must never block.
     */
    default Liveness liveness() {
        return Liveness.OK;
    }

    /** A consistent view of every group and target, for {@code GET /v1/targets}. */
    List<GroupStatus> targets();

    /**
     * Replaces the group's dynamic target list (the one the agent feeds). Targets from the config
     * file stay; targets no longer listed go through draining.
     *
     * @throws AdminException 404 unknown group, 400 invalid list (with the reason)
     */
    void replaceTargets(String group, List<TargetSpec> targets) throws AdminException;

    /**
     * Drains one target: no new flows; open flows may go on until idle or the group's
     * deregistration delay.
     *
     * @throws AdminException 404 unknown group or target
     */
    void drain(String group, HostPort address) throws AdminException;

    /** Re-reads the config file and applies it, or keeps the running config and says why not. */
    ReloadOutcome reload();

    /**
     * The whole balancer is leaving (its DNS weight went to 0): report not ready from now on, keep
     * serving every flow. Its sidecar then waits for the open flows to end.
     */
    default void drainBalancer() throws AdminException {
        throw new AdminException(501, "draining the balancer is not supported here");
    }

    record Readiness(boolean ready, List<String> reasons) {
        public Readiness {
            reasons = List.copyOf(reasons);
        }
    }

    /** {@code ok} exactly when there is no reason. */
    record Liveness(boolean ok, List<String> reasons) {
        public static final Liveness OK = new Liveness(true, List.of());

        public Liveness {
            reasons = List.copyOf(reasons);
            if (ok != reasons.isEmpty()) {
                throw new IllegalArgumentException("ok is " + ok + " with reasons " + reasons);
            }
        }

        public static Liveness of(List<String> reasons) {
            return reasons.isEmpty() ? OK : new Liveness(false, reasons);
        }
    }

    /** A dynamic target; {@code serverId} is its QUIC-LB server ID (and ICE ufrag prefix), when it has one. */
    record TargetSpec(HostPort address, int weight, java.util.Optional<io.wavelb.config.HexBytes> serverId) {
        public TargetSpec(HostPort address, int weight) {
            this(address, weight, java.util.Optional.empty());
        }
    }

    record GroupStatus(String name, String algorithm, boolean failOpen, List<TargetStatus> targets) {
        public GroupStatus {
            targets = List.copyOf(targets);
        }
    }

    /**
     * @param state           {@code healthy}, {@code unhealthy}, {@code draining}, or {@code unknown} (not checked yet)
     * @param source          {@code config} or {@code dynamic}
     * @param lastCheck       when the last active check finished, or null
     * @param lastCheckResult {@code success}, a failure reason, or null
     */
    record TargetStatus(String address, int weight, String state, String source, Instant lastCheck,
                        String lastCheckResult, int activeSessions, int activeConnections, String serverId) {
    }

    sealed interface ReloadOutcome permits Reloaded, Rejected, Failed {
    }

    /** Applied; {@code summary} says what changed, e.g. "1 listener added, 2 targets draining". */
    record Reloaded(String summary) implements ReloadOutcome {
    }

    /** The new file is invalid; nothing changed. */
    record Rejected(List<Problem> problems) implements ReloadOutcome {
        public Rejected {
            problems = List.copyOf(problems);
        }
    }

    /** The new config is valid but could not be applied (e.g. a new listen address is in use); nothing changed. */
    record Failed(String message) implements ReloadOutcome {
    }

    /** The balancer's load for {@code GET /v1/load} (the sidecar's load-aware DNS weight reads it). */
    default LoadReport load() throws AdminException {
        throw new AdminException(501, "load reporting is not supported here");
    }
}
