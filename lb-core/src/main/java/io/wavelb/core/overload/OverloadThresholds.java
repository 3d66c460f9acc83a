package io.wavelb.core.overload;

/**
 * Where each action turns on, as a fraction of the memory budget, and how far pressure must fall
 * below that before it turns off again (hysteresis, so a level hovering at a threshold does not
 * flap the action every tick).
 *
 * @param reduceTimeouts idle timeouts start shrinking here; they reach their floor at {@code shed}
 * @param stopAccepting  new flows are refused from here
 * @param shed           the biggest TCP holders are closed from here
 * @param hysteresis     an action turns off once pressure is this far below its threshold
 */
public record OverloadThresholds(double reduceTimeouts, double stopAccepting, double shed, double hysteresis) {

    /** 70 % / 85 % / 95 %, off 5 points lower. */
    public static final OverloadThresholds DEFAULTS = new OverloadThresholds(0.70, 0.85, 0.95, 0.05);

    public OverloadThresholds {
        if (!(0 < reduceTimeouts && reduceTimeouts <= stopAccepting && stopAccepting <= shed && shed <= 1)) {
            throw new IllegalArgumentException("thresholds " + reduceTimeouts + ", " + stopAccepting + ", " + shed
                    + " (expected 0 < reduce_timeouts <= stop_accepting <= shed <= 1)");
        }
        if (!(0 <= hysteresis && hysteresis < reduceTimeouts)) {
            throw new IllegalArgumentException("hysteresis " + hysteresis + " (expected 0 <= hysteresis < " + reduceTimeouts + ")");
        }
    }

    double on(OverloadAction a) {
        return switch (a) {
            case REDUCE_TIMEOUTS -> reduceTimeouts;
            case STOP_ACCEPTING -> stopAccepting;
            case SHED_CONNECTIONS -> shed;
        };
    }
}
