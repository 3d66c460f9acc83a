package io.wavelb.config;

/**
 * {@code new_flows_per_client}: how many new flows (UDP sessions, TCP connections) one client
 * (a {@link ClientPrefix} network) may open per second on a listener side, with a burst allowance.
 *
 * @param perSecond the sustained rate; 0 = no limit
 * @param burst     flows a client that was quiet may open at once
 */
public record NewFlowRate(int perSecond, int burst) {

    /** The largest burst: what one bucket of the limiter holds (in thousandths, in 24 bits). */
    public static final int MAX_BURST = 16_000;
    public static final NewFlowRate NONE = new NewFlowRate(0, 0);

    public NewFlowRate {
        if (perSecond < 0 || burst < 0 || burst > MAX_BURST || (perSecond > 0 && burst < 1)) {
            throw new IllegalArgumentException("new_flows_per_client " + perSecond + "/s, burst " + burst);
        }
    }

    public boolean limited() {
        return perSecond > 0;
    }
}
