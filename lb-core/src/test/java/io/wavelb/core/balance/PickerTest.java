package io.wavelb.core.balance;

import static io.wavelb.core.balance.Fixtures.M;
import static io.wavelb.core.balance.Fixtures.backends;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.wavelb.config.Algorithm;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PickerTest {

    private static final List<Backend> WEIGHTED = List.of(
            new Backend("10.0.0.3:7000", 3),
            new Backend("10.0.0.1:7000", 1),
            new Backend("10.0.0.2:7000", 2));

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void backendsAreSortedByIdWhateverTheInputOrder(Algorithm algorithm) {
        assertThat(Picker.of(algorithm, WEIGHTED, M).backends()).extracting(Backend::id)
                .containsExactly("10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000");
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void noBackendsPicksMinusOne(Algorithm algorithm) {
        Picker picker = Picker.of(algorithm, List.of(), M);
        assertThat(picker.pick(42)).isEqualTo(-1);
        assertThat(picker.pick(42, new int[] {0}, 1)).isEqualTo(-1);
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void everyBackendExcludedPicksMinusOne(Algorithm algorithm) {
        Picker picker = Picker.of(algorithm, backends(4), M);
        assertThat(picker.pick(42, new int[] {3, 1, 0, 2}, 4)).isEqualTo(-1);
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void neverPicksAnExcludedBackend(Algorithm algorithm) {
        Picker picker = Picker.of(algorithm, backends(5), M);
        Random random = new Random(5);
        int[] excluded = {1, 3};
        for (int i = 0; i < 10_000; i++) {
            assertThat(picker.pick(random.nextLong(), excluded, 2)).isIn(0, 2, 4);
        }
    }

    @Test
    void rejectsANonPrimeTableSizeForTableBasedAlgorithms() {
        for (Algorithm algorithm : List.of(Algorithm.MAGLEV, Algorithm.SOURCE_IP, Algorithm.ROUND_ROBIN)) {
            assertThatThrownBy(() -> Picker.of(algorithm, backends(3), 65536))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void maglevPicksTheTableEntryForTheHashAndRetriesAlongTheTable() {
        Picker picker = Picker.of(Algorithm.MAGLEV, backends(10), M);
        MaglevTable table = MaglevTable.build(backends(10), M);
        Random random = new Random(9);
        for (int i = 0; i < 1000; i++) {
            long hash = random.nextLong();
            int first = table.lookup(hash);
            assertThat(picker.pick(hash)).isEqualTo(first);
            assertThat(picker.pick(hash, new int[] {first}, 1))
                    .isEqualTo(table.lookupExcluding(hash, new int[] {first}, 1));
        }
    }

    @Test
    void maglevPicksTheSameBackendOnEveryInstanceWhateverTheListOrder() {
        List<Backend> shuffled = new ArrayList<>(backends(20));
        Collections.shuffle(shuffled, new Random(4));
        Picker a = Picker.of(Algorithm.MAGLEV, backends(20), M);
        Picker b = Picker.of(Algorithm.MAGLEV, shuffled, M);
        Random random = new Random(8);
        for (int i = 0; i < 10_000; i++) {
            long hash = random.nextLong();
            assertThat(b.backends().get(b.pick(hash))).isEqualTo(a.backends().get(a.pick(hash)));
        }
    }

    @Test
    void roundRobinGivesExactWeightedProportionsOverWholeTableCycles() {
        Picker picker = Picker.of(Algorithm.ROUND_ROBIN, WEIGHTED, M);
        MaglevTable table = MaglevTable.build(WEIGHTED, M);
        int cycles = 3;
        int[] counts = new int[3];
        for (long i = 0; i < (long) cycles * M; i++) {
            counts[picker.pick(i)]++;
        }
        for (int b = 0; b < 3; b++) {
            assertThat(counts[b]).isEqualTo(cycles * table.slotCount(b));
            double weightShare = picker.backends().get(b).weight() / 6.0;
            assertThat(counts[b] / (cycles * (double) M)).isCloseTo(weightShare, within(0.01 * weightShare));
        }
    }

    @Test
    void roundRobinIgnoresTheFlowHashAndFollowsTheTable() {
        Picker picker = Picker.of(Algorithm.ROUND_ROBIN, backends(4), M);
        MaglevTable table = MaglevTable.build(backends(4), M);
        for (int slot = 0; slot < 100; slot++) {
            assertThat(picker.pick(7)).isEqualTo(table.entryAt(slot));
        }
    }

    @Test
    void roundRobinSkipsExcludedBackendsAndSpreadsOverTheRest() {
        Picker picker = Picker.of(Algorithm.ROUND_ROBIN, backends(3), M);
        int[] counts = new int[3];
        for (int i = 0; i < 30_000; i++) {
            counts[picker.pick(0, new int[] {1}, 1)]++;
        }
        assertThat(counts[1]).isZero();
        assertThat(counts[0] / 15_000.0).isCloseTo(1.0, within(0.05));
    }

    @Test
    void leastConnectionsPrefersTheLeastLoadedPerUnitOfWeight() {
        int[] open = new int[3];
        Picker picker = Picker.of(Algorithm.LEAST_CONNECTIONS, WEIGHTED, M, b -> open[b]);
        // weights 1, 2, 3 (sorted by id); loads 1/1, 3/2, 2/3: backend 2 is least loaded per weight
        open[0] = 1;
        open[1] = 3;
        open[2] = 2;
        for (long hash = 0; hash < 100; hash++) {
            assertThat(picker.pick(hash)).isEqualTo(2);
        }
        open[2] += 2;
        // now 1/1, 3/2, 4/3: backend 0 (1.0) is lowest
        assertThat(picker.pick(0)).isEqualTo(0);
    }

    @Test
    void leastConnectionsFillsBackendsInProportionToWeight() {
        int[] open = new int[3];
        Picker picker = Picker.of(Algorithm.LEAST_CONNECTIONS, WEIGHTED, M, b -> open[b]);
        Random random = new Random(2);
        int[] counts = new int[3];
        for (int i = 0; i < 600; i++) {
            int b = picker.pick(random.nextLong());
            open[b]++;
            counts[b]++;
        }
        assertThat(counts).containsExactly(100, 200, 300);
    }

    @Test
    void leastConnectionsSpreadsTiesByFlowHash() {
        Picker picker = Picker.of(Algorithm.LEAST_CONNECTIONS, backends(4), M);
        Random random = new Random(6);
        int[] counts = new int[4];
        for (int i = 0; i < 40_000; i++) {
            counts[picker.pick(random.nextLong())]++;
        }
        for (int count : counts) {
            assertThat(count / 10_000.0).isCloseTo(1.0, within(0.05));
        }
    }

    @Test
    void leastConnectionsSkipsExcludedEvenWhenLeastLoaded() {
        int[] open = {0, 5, 9};
        Picker picker = Picker.of(Algorithm.LEAST_CONNECTIONS, backends(3), M, b -> open[b]);
        assertThat(picker.pick(0)).isEqualTo(0);
        assertThat(picker.pick(0, new int[] {0}, 1)).isEqualTo(1);
        assertThat(picker.pick(0, new int[] {0, 1}, 2)).isEqualTo(2);
    }

    @Test
    void leastConnectionsTakesANegativeCountAsIdleNotAsBetterThanIdle() {
        int[] open = {-3, 0};
        Picker picker = Picker.of(Algorithm.LEAST_CONNECTIONS, backends(2), M, b -> open[b]);
        // Both count as 0: the tie goes by hash, so each backend gets some hash.
        assertThat(List.of(picker.pick(0), picker.pick(1))).containsExactlyInAnyOrder(0, 1);
    }

    @ParameterizedTest
    @EnumSource(value = Algorithm.class, names = {"MAGLEV", "SOURCE_IP", "ROUND_ROBIN"})
    void onlyLeastConnectionsReadsOpenConnections(Algorithm algorithm) {
        int[] open = new int[2];
        Picker counted = Picker.of(algorithm, backends(2), M, b -> open[b]);
        Picker blind = Picker.of(algorithm, backends(2), M);
        for (long hash = 0; hash < 50; hash++) {
            int before = blind.pick(hash);
            open[counted.pick(hash)] += 1000;
            assertThat(counted.pick(hash)).isIn(0, 1);
            if (algorithm != Algorithm.ROUND_ROBIN) {
                assertThat(counted.pick(hash)).isEqualTo(before);
            }
        }
    }

    @Test
    void picksDoNotAllocate() {
        List<Picker> pickers = new ArrayList<>();
        for (Algorithm algorithm : Algorithm.values()) {
            pickers.add(Picker.of(algorithm, backends(10), M));
        }
        int[] excluded = {2, 5};
        long warm = 0;
        for (int i = 0; i < 20_000; i++) {
            for (Picker picker : pickers) {
                warm += picker.pick(i) + picker.pick(i, excluded, 2);
            }
        }
        long allocated = Allocations.measure(() -> {
            long s = 0;
            for (int i = 0; i < 50_000; i++) {
                for (int b = 0; b < pickers.size(); b++) {
                    s += pickers.get(b).pick(i) + pickers.get(b).pick(i, excluded, 2);
                }
            }
            return s;
        });
        assertThat(warm).isNotZero();
        assertThat(allocated).isLessThan(1024);
    }}
