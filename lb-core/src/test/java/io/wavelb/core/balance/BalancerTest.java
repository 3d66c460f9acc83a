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

class BalancerTest {

    private static final List<Backend> WEIGHTED = List.of(
            new Backend("10.0.0.3:7000", 3),
            new Backend("10.0.0.1:7000", 1),
            new Backend("10.0.0.2:7000", 2));

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void backendsAreSortedByIdWhateverTheInputOrder(Algorithm algorithm) {
        assertThat(Balancer.of(algorithm, WEIGHTED, M).backends()).extracting(Backend::id)
                .containsExactly("10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000");
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void noBackendsPicksMinusOne(Algorithm algorithm) {
        Balancer balancer = Balancer.of(algorithm, List.of(), M);
        assertThat(balancer.pick(42)).isEqualTo(-1);
        assertThat(balancer.pick(42, new int[] {0}, 1)).isEqualTo(-1);
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void everyBackendExcludedPicksMinusOne(Algorithm algorithm) {
        Balancer balancer = Balancer.of(algorithm, backends(4), M);
        assertThat(balancer.pick(42, new int[] {3, 1, 0, 2}, 4)).isEqualTo(-1);
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void neverPicksAnExcludedBackend(Algorithm algorithm) {
        Balancer balancer = Balancer.of(algorithm, backends(5), M);
        Random random = new Random(5);
        int[] excluded = {1, 3};
        for (int i = 0; i < 10_000; i++) {
            assertThat(balancer.pick(random.nextLong(), excluded, 2)).isIn(0, 2, 4);
        }
    }

    @Test
    void rejectsANonPrimeTableSizeForTableBasedAlgorithms() {
        for (Algorithm algorithm : List.of(Algorithm.MAGLEV, Algorithm.SOURCE_IP, Algorithm.ROUND_ROBIN)) {
            assertThatThrownBy(() -> Balancer.of(algorithm, backends(3), 65536))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void maglevPicksTheTableEntryForTheHashAndRetriesAlongTheTable() {
        Balancer balancer = Balancer.of(Algorithm.MAGLEV, backends(10), M);
        MaglevTable table = MaglevTable.build(backends(10), M);
        Random random = new Random(9);
        for (int i = 0; i < 1000; i++) {
            long hash = random.nextLong();
            int first = table.lookup(hash);
            assertThat(balancer.pick(hash)).isEqualTo(first);
            assertThat(balancer.pick(hash, new int[] {first}, 1))
                    .isEqualTo(table.lookupExcluding(hash, new int[] {first}, 1));
        }
    }

    @Test
    void maglevPicksTheSameBackendOnEveryInstanceWhateverTheListOrder() {
        List<Backend> shuffled = new ArrayList<>(backends(20));
        Collections.shuffle(shuffled, new Random(4));
        Balancer a = Balancer.of(Algorithm.MAGLEV, backends(20), M);
        Balancer b = Balancer.of(Algorithm.MAGLEV, shuffled, M);
        Random random = new Random(8);
        for (int i = 0; i < 10_000; i++) {
            long hash = random.nextLong();
            assertThat(b.backends().get(b.pick(hash))).isEqualTo(a.backends().get(a.pick(hash)));
        }
    }

    @Test
    void roundRobinGivesExactWeightedProportionsOverWholeTableCycles() {
        Balancer balancer = Balancer.of(Algorithm.ROUND_ROBIN, WEIGHTED, M);
        MaglevTable table = MaglevTable.build(WEIGHTED, M);
        int cycles = 3;
        int[] counts = new int[3];
        for (long i = 0; i < (long) cycles * M; i++) {
            counts[balancer.pick(i)]++;
        }
        for (int b = 0; b < 3; b++) {
            assertThat(counts[b]).isEqualTo(cycles * table.slotCount(b));
            double weightShare = balancer.backends().get(b).weight() / 6.0;
            assertThat(counts[b] / (cycles * (double) M)).isCloseTo(weightShare, within(0.01 * weightShare));
        }
    }

    @Test
    void roundRobinIgnoresTheFlowHashAndFollowsTheTable() {
        Balancer balancer = Balancer.of(Algorithm.ROUND_ROBIN, backends(4), M);
        MaglevTable table = MaglevTable.build(backends(4), M);
        for (int slot = 0; slot < 100; slot++) {
            assertThat(balancer.pick(7)).isEqualTo(table.entryAt(slot));
        }
    }

    @Test
    void roundRobinSkipsExcludedBackendsAndSpreadsOverTheRest() {
        Balancer balancer = Balancer.of(Algorithm.ROUND_ROBIN, backends(3), M);
        int[] counts = new int[3];
        for (int i = 0; i < 30_000; i++) {
            counts[balancer.pick(0, new int[] {1}, 1)]++;
        }
        assertThat(counts[1]).isZero();
        assertThat(counts[0] / 15_000.0).isCloseTo(1.0, within(0.05));
    }

    @Test
    void leastConnectionsPrefersTheLeastLoadedPerUnitOfWeight() {
        Balancer balancer = Balancer.of(Algorithm.LEAST_CONNECTIONS, WEIGHTED, M);
        // weights 1, 2, 3 (sorted by id); loads 1/1, 3/2, 2/3: backend 2 is least loaded per weight
        open(balancer, 0, 1);
        open(balancer, 1, 3);
        open(balancer, 2, 2);
        for (long hash = 0; hash < 100; hash++) {
            assertThat(balancer.pick(hash)).isEqualTo(2);
        }
        open(balancer, 2, 2);
        // now 1/1, 3/2, 4/3: backend 0 (1.0) is lowest
        assertThat(balancer.pick(0)).isEqualTo(0);
    }

    @Test
    void leastConnectionsFillsBackendsInProportionToWeight() {
        Balancer balancer = Balancer.of(Algorithm.LEAST_CONNECTIONS, WEIGHTED, M);
        Random random = new Random(2);
        int[] counts = new int[3];
        for (int i = 0; i < 600; i++) {
            int b = balancer.pick(random.nextLong());
            balancer.onOpened(b);
            counts[b]++;
        }
        assertThat(counts).containsExactly(100, 200, 300);
    }

    @Test
    void leastConnectionsSpreadsTiesByFlowHash() {
        Balancer balancer = Balancer.of(Algorithm.LEAST_CONNECTIONS, backends(4), M);
        Random random = new Random(6);
        int[] counts = new int[4];
        for (int i = 0; i < 40_000; i++) {
            counts[balancer.pick(random.nextLong())]++;
        }
        for (int count : counts) {
            assertThat(count / 10_000.0).isCloseTo(1.0, within(0.05));
        }
    }

    @Test
    void leastConnectionsSkipsExcludedEvenWhenLeastLoaded() {
        Balancer balancer = Balancer.of(Algorithm.LEAST_CONNECTIONS, backends(3), M);
        open(balancer, 1, 5);
        open(balancer, 2, 9);
        assertThat(balancer.pick(0)).isEqualTo(0);
        assertThat(balancer.pick(0, new int[] {0}, 1)).isEqualTo(1);
        assertThat(balancer.pick(0, new int[] {0, 1}, 2)).isEqualTo(2);
    }

    @Test
    void leastConnectionsCountsNeverGoBelowZero() {
        LeastConnectionsBalancer balancer =
                (LeastConnectionsBalancer) Balancer.of(Algorithm.LEAST_CONNECTIONS, backends(2), M);
        balancer.onClosed(0);
        assertThat(balancer.active(0)).isZero();
        balancer.onOpened(0);
        balancer.onOpened(0);
        balancer.onClosed(0);
        balancer.onClosed(0);
        balancer.onClosed(0);
        assertThat(balancer.active(0)).isZero();
        assertThat(balancer.active(1)).isZero();
    }

    @Test
    void leastConnectionsCountsStayExactUnderConcurrentOpensAndCloses() throws InterruptedException {
        LeastConnectionsBalancer balancer =
                (LeastConnectionsBalancer) Balancer.of(Algorithm.LEAST_CONNECTIONS, backends(1), M);
        open(balancer, 0, 4 * 10_000);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 10_000; i++) {
                    balancer.onOpened(0);
                    balancer.onClosed(0);
                    balancer.onClosed(0);
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(balancer.active(0)).isZero();
    }

    @Test
    void nonMaglevHooksAreNoOps() {
        Balancer balancer = Balancer.of(Algorithm.MAGLEV, backends(2), M);
        int before = balancer.pick(5);
        balancer.onOpened(before);
        balancer.onClosed(before);
        assertThat(balancer.pick(5)).isEqualTo(before);
    }

    @Test
    void picksDoNotAllocate() {
        List<Balancer> balancers = new ArrayList<>();
        for (Algorithm algorithm : Algorithm.values()) {
            balancers.add(Balancer.of(algorithm, backends(10), M));
        }
        int[] excluded = {2, 5};
        long warm = 0;
        for (int i = 0; i < 20_000; i++) {
            for (Balancer balancer : balancers) {
                warm += balancer.pick(i) + balancer.pick(i, excluded, 2);
            }
        }
        long allocated = Allocations.measure(() -> {
            long s = 0;
            for (int i = 0; i < 50_000; i++) {
                for (int b = 0; b < balancers.size(); b++) {
                    s += balancers.get(b).pick(i) + balancers.get(b).pick(i, excluded, 2);
                }
            }
            return s;
        });
        assertThat(warm).isNotZero();
        assertThat(allocated).isLessThan(1024);
    }

    private static void open(Balancer balancer, int backend, int times) {
        for (int i = 0; i < times; i++) {
            balancer.onOpened(backend);
        }
    }
}
