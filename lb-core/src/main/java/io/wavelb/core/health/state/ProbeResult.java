package io.wavelb.core.health.state;

import java.util.Locale;

/** The outcome of one active probe. */
public sealed interface ProbeResult permits ProbeResult.Success, ProbeResult.Failure {

    /**
     * The bounded set of failure kinds; each is a metric tag value. {@link #NO_SOCKET} is this
     * host's failure, not the target's: the probe could not get a descriptor (EMFILE, ENFILE) or a
     * local port towards the target, so it says nothing of the target and moves no health state.
     */
    enum Kind {
        TIMEOUT, REFUSED, PORT_UNREACHABLE, BAD_RESPONSE, ERROR, NO_SOCKET;

        public String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** {@code success} or the failure kind: the {@code result} tag of {@code wavelb_health_checks_total}. */
    String tag();

    record Success() implements ProbeResult {
        @Override
        public String tag() {
            return "success";
        }
    }

    /** A failed probe; {@code detail} is for logs only. */
    record Failure(Kind kind, String detail) implements ProbeResult {
        @Override
        public String tag() {
            return kind.tag();
        }
    }

    ProbeResult SUCCESS = new Success();

    static ProbeResult failure(Kind kind, String detail) {
        return new Failure(kind, detail);
    }
}
