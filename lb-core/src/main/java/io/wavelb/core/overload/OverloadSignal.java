package io.wavelb.core.overload;

import java.util.Objects;

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
        state = Objects.requireNonNull(next, "state");
    }
}
