package io.wavelb.agent.reconcile;

import java.util.Locale;

/**
 * {@code dns.weight: auto}: turns the balancer's utilization into a DNS weight, and decides when a
 * new weight is worth a Route 53 change. Not thread-safe: one loop owns it.
 *
 * <p>Formula: with {@code u} the utilization of the busiest resource ({@link LoadFigures#utilization})
 * and {@code t} the target, the weight is the ceiling {@code W} while {@code u <= t}, then falls
 * linearly to reach the floor at full use: {@code round(W * (1 - u) / (1 - t))}, clamped to
 * {@code 1..W}. The floor is 1, never 0: 0 is what an unready or draining instance publishes,
 * and Route 53 sends traffic to zero-weight records only when every record is zero.
 *
 * <p>Hysteresis, so that DNS changes stay within the Route 53 budget: a computed weight replaces
 * the published one only if it differs by at least {@code minChange} (or is the floor or the
 * ceiling, so a fleet always returns to full weight and always reaches its floor) and at least
 * {@code minInterval} has passed since the last change. The instance therefore changes its
 * record at most once per {@code minInterval}.
 */
public final class WeightGovernor {

    private final int maxWeight;
    private final double target;
    private final int minChange;
    private final long minIntervalNanos;
    private int published = -1;
    private long lastChangeNanos;

    public WeightGovernor(int maxWeight, double target, int minChange, long minIntervalNanos) {
        if (maxWeight < 1 || maxWeight > 255 || !(target > 0 && target < 1) || minChange < 1 || minIntervalNanos < 0) {
            throw new IllegalArgumentException("invalid governor: " + maxWeight + ", " + target + ", " + minChange);
        }
        this.maxWeight = maxWeight;
        this.target = target;
        this.minChange = minChange;
        this.minIntervalNanos = minIntervalNanos;
    }

    /** The weight the formula gives for utilization {@code u}. */
    public int computed(double u) {
        if (u <= target) {
            return maxWeight;
        }
        long w = Math.round(maxWeight * (1 - Math.min(1, u)) / (1 - target));
        return (int) Math.max(1, Math.min(maxWeight, w));
    }

    /**
     * @param weight   the weight to publish now (the previous one when held)
     * @param computed what the formula gave
     * @param changed  whether {@code weight} differs from the previously published one
     * @param why      the utilization, the formula and, when held, which rule held it
     */
    public record Decision(int weight, int computed, boolean changed, String why) {
    }

    /** Feeds one load reading taken at {@code nowNanos}. */
    public Decision decide(LoadFigures.Utilization u, long nowNanos) {
        int c = computed(u.value());
        String formula = u.value() <= target
                ? String.format(Locale.ROOT, "utilization %.2f (%s) <= target %.2f: weight %d", u.value(), u.busiest(), target,
                        maxWeight)
                : String.format(Locale.ROOT, "utilization %.2f (%s) > target %.2f: %d x (1 - %.2f) / (1 - %.2f) = %d",
                        u.value(), u.busiest(), target, maxWeight, u.value(), target, c);
        if (published < 0) {
            return publish(c, nowNanos, formula);
        }
        if (c == published) {
            return new Decision(published, c, false, formula);
        }
        if (nowNanos - lastChangeNanos < minIntervalNanos) {
            return new Decision(published, c, false, formula + "; held at " + published + " (last change under min_interval ago)");
        }
        if (Math.abs(c - published) < minChange && c != 1 && c != maxWeight) {
            return new Decision(published, c, false, formula + "; held at " + published + " (moved less than min_change "
                    + minChange + ")");
        }
        return publish(c, nowNanos, formula);
    }

    /** The balancer's load could not be read: keep what is published (the ceiling before anything was). */
    public Decision unknown(String reason) {
        int w = published < 0 ? maxWeight : published;
        return new Decision(w, w, false, "load unavailable (" + reason + "); keeping " + w);
    }

    private Decision publish(int c, long nowNanos, String why) {
        boolean changed = c != published;
        published = c;
        lastChangeNanos = nowNanos;
        return new Decision(c, c, changed, why);
    }
}
