package io.wavelb.core.overload;

/**
 * Where the control tick publishes the overload state and the data plane reads it: one volatile
 * field, read at accept and session open and by the idle sweeps, never per packet.
 */
public final class OverloadSignal {

    private volatile OverloadState state = OverloadState.NORMAL;

    public OverloadState state() {
        return state;
    }

    public void publish(OverloadState next) {
        state = java.util.Objects.requireNonNull(next, "state");
    }
}
