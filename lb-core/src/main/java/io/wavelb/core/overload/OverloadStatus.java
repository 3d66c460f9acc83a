package io.wavelb.core.overload;

import java.util.List;

/**
 * The overload state as a health check reports it.
 *
 * @param stuck   true when the balancer has been shedding for so long that it is not recovering by
 *                itself: a liveness check should fail so that it gets restarted
 * @param used    direct memory in use, bytes
 * @param budget  the memory budget, bytes
 * @param actions the actions in force ({@link OverloadAction#tagValue()}), empty when not overloaded
 * @param reasons one line per figure behind them, for a human
 */
public record OverloadStatus(boolean stuck, long used, long budget, List<String> actions, List<String> reasons) {

    public OverloadStatus {
        actions = List.copyOf(actions);
        reasons = List.copyOf(reasons);
    }
}
