package io.wavelb.core.balance;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Weighted round robin: a cursor walking the Maglev table slot by slot. The weighted population of
 * §3.4 interleaves backends in proportion to their weights, so every {@code M} consecutive picks hit
 * each backend exactly as often as it owns slots, with no per-weight bookkeeping.
 *
 * <p>The cursor is one {@link AtomicLong} shared by all event loops: one contended increment per new
 * flow, not per packet.
 */
final class RoundRobinPicker implements Picker {

    private final MaglevTable table;
    private final AtomicLong cursor = new AtomicLong();

    RoundRobinPicker(MaglevTable table) {
        this.table = table;
    }

    @Override
    public List<Backend> backends() {
        return table.backends();
    }

    @Override
    public int pick(long flowHash, int[] excluded, int excludedCount) {
        int slot = (int) Long.remainderUnsigned(cursor.getAndIncrement(), table.size());
        return table.walkFrom(slot, excluded, excludedCount);
    }
}
