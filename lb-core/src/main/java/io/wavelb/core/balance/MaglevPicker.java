package io.wavelb.core.balance;

import java.util.List;

/**
 * MAGLEV and SOURCE_IP: the two differ only in the hash the caller passes (5-tuple or client
 * address). Retries walk the table from the flow's slot, so they too are consistent across instances.
 */
final class MaglevPicker implements Picker {

    private final MaglevTable table;

    MaglevPicker(MaglevTable table) {
        this.table = table;
    }

    @Override
    public List<Backend> backends() {
        return table.backends();
    }

    @Override
    public int pick(long flowHash, int[] excluded, int excludedCount) {
        return table.lookupExcluding(flowHash, excluded, excludedCount);
    }

    MaglevTable table() {
        return table;
    }
}
