package io.wavelb.core.flowlog;

/**
 * Which flows are logged when {@code flow_log.sample} is below 1: decided once per flow, when it
 * starts, from a hash of the flow (no random number, no allocation). Both records of a flow follow
 * the one decision.
 */
public final class FlowSampler {

    /** 2^53: a sample share maps to a threshold on the top 53 bits of the mixed hash (a double's precision). */
    private static final long SCALE = 1L << 53;

    private final long threshold;

    public FlowSampler(double sample) {
        if (!(sample > 0 && sample <= 1)) {
            throw new IllegalArgumentException("sample " + sample + " (expected 0 < sample <= 1)");
        }
        this.threshold = sample >= 1 ? SCALE : (long) (sample * SCALE);
    }

    /** Whether the flow whose key is {@code flowKey} (any bits that differ between flows) is logged. */
    public boolean sampled(long flowKey) {
        if (threshold == SCALE) {
            return true;
        }
        return (mix(flowKey) >>> 11) < threshold;
    }

    /** MurmurHash3's 64-bit finaliser (fmix64): every input bit moves about half the output bits. */
    static long mix(long k) {
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        k ^= k >>> 33;
        return k;
    }
}
