package io.wavelb.core.balance;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

class MaglevTablePropertiesTest {

    private static final int SIZE = 1009;

    @Property(tries = 200)
    void sameTableForAnyInputOrder(@ForAll("backendSets") List<Backend> backends, @ForAll long shuffleSeed) {
        List<Backend> shuffled = new ArrayList<>(backends);
        Collections.shuffle(shuffled, new Random(shuffleSeed));
        MaglevTable a = MaglevTable.build(backends, SIZE);
        MaglevTable b = MaglevTable.build(shuffled, SIZE);
        assertThat(b.backends()).isEqualTo(a.backends());
        for (int s = 0; s < SIZE; s++) {
            assertThat(b.entryAt(s)).isEqualTo(a.entryAt(s));
        }
    }

    @Property(tries = 200)
    void everySlotHoldsABackendAndEveryBackendOwnsASlot(@ForAll("backendSets") List<Backend> backends) {
        MaglevTable table = MaglevTable.build(backends, SIZE);
        int[] counts = new int[backends.size()];
        for (int s = 0; s < SIZE; s++) {
            counts[table.entryAt(s)]++;
        }
        assertThat(counts).doesNotContain(0);
    }

    @Property(tries = 200)
    void lookupExcludingNeverReturnsAnExcludedBackendAndMinusOneOnlyWhenNoneIsLeft(
            @ForAll("backendSets") List<Backend> backends, @ForAll long hash,
            @ForAll @IntRange(min = 0, max = 30) int excludedCount, @ForAll long exclusionSeed) {
        MaglevTable table = MaglevTable.build(backends, SIZE);
        Random random = new Random(exclusionSeed);
        int[] excluded = new int[excludedCount];
        for (int i = 0; i < excludedCount; i++) {
            excluded[i] = random.nextInt(backends.size() + 2) - 1;
        }
        long left = java.util.stream.IntStream.range(0, backends.size())
                .filter(b -> !Exclusions.contains(excluded, excludedCount, b)).count();
        int picked = table.lookupExcluding(hash, excluded, excludedCount);
        if (left == 0) {
            assertThat(picked).isEqualTo(-1);
        } else {
            assertThat(picked).isBetween(0, backends.size() - 1);
            assertThat(Exclusions.contains(excluded, excludedCount, picked)).isFalse();
        }
    }

    @Provide
    Arbitrary<List<Backend>> backendSets() {
        Arbitrary<Backend> backend = Combinators.combine(
                        Arbitraries.integers().between(0, 255),
                        Arbitraries.integers().between(1, 65535),
                        Arbitraries.integers().between(1, 10))
                .as((host, port, weight) -> new Backend("10.1.0." + host + ":" + port, weight));
        return backend.list().ofMinSize(1).ofMaxSize(9).uniqueElements(Backend::id);
    }
}
