package io.wavelb.core.balance;

import java.util.ArrayList;
import java.util.List;

/** Backend sets shaped like real target groups: "10.0.x.y:7000" ids. */
final class Fixtures {

    static final int M = 65537;

    private Fixtures() {
    }

    static List<Backend> backends(int n) {
        List<Backend> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            list.add(Backend.of(address(i)));
        }
        return list;
    }

    static String address(int i) {
        return "10.0." + (i / 250) + "." + (i % 250 + 1) + ":7000";
    }

    /** Slots per backend index. */
    static int[] slotCounts(MaglevTable table) {
        int[] counts = new int[table.backends().size()];
        for (int s = 0; s < table.size(); s++) {
            counts[table.entryAt(s)]++;
        }
        return counts;
    }

    /** Backend id per slot, so that tables over different backend sets can be compared. */
    static String[] idsBySlot(MaglevTable table) {
        String[] ids = new String[table.size()];
        for (int s = 0; s < table.size(); s++) {
            ids[s] = table.backends().get(table.entryAt(s)).id();
        }
        return ids;
    }
}
