package io.wavelb.core.overload;

/** What the balancer does under memory pressure, in the order the pressure turns them on. */
public enum OverloadAction {
    /** Idle timeouts of TCP connections and UDP sessions scale down (Envoy's {@code reduce_timeouts}). */
    REDUCE_TIMEOUTS("reduce_timeouts"),
    /** New TCP connections are closed at accept and new UDP sessions refused, counted as {@code overload}. */
    STOP_ACCEPTING("stop_accepting"),
    /** The TCP connections holding the most buffered bytes are closed until new flows can be accepted again. */
    SHED_CONNECTIONS("shed_connections");

    private final String tagValue;

    OverloadAction(String tagValue) {
        this.tagValue = tagValue;
    }

    /** The metric tag and log name. */
    public String tagValue() {
        return tagValue;
    }
}
