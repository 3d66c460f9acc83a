package io.wavelb.agent.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class WeightGovernorTest {

    private static final long SECOND = 1_000_000_000L;

    private static LoadFigures.Utilization u(double v) {
        return new LoadFigures.Utilization(v, "test");
    }

    @Test
    void fullWeightUpToTheTargetThenLinearDownToTheFloorNeverZero() {
        WeightGovernor g = new WeightGovernor(100, 0.7, 10, 0);
        assertThat(g.computed(0)).isEqualTo(100);
        assertThat(g.computed(0.7)).isEqualTo(100);
        assertThat(g.computed(0.85)).isEqualTo(50);
        assertThat(g.computed(0.97)).isEqualTo(10);
        assertThat(g.computed(1.0)).as("the floor is 1; 0 means not ready").isEqualTo(1);
        assertThat(g.computed(1.5)).isEqualTo(1);
    }

    @Test
    void theBusiestResourceSetsTheUtilization() {
        LoadFigures f = new LoadFigures(List.of(new LoadFigures.Listener("a", 10, 100), new LoadFigures.Listener("b", 90, 100),
                new LoadFigures.Listener("tcp", 5000, -1)), 1, 1, 1, 100, 1000, 0.3);
        assertThat(f.utilization().value()).isEqualTo(0.9);
        assertThat(f.utilization().busiest()).isEqualTo("listener 'b' sessions 90/100");
        LoadFigures fds = new LoadFigures(List.of(), 0, 0, 0, 950, 1000, 0.5);
        assertThat(fds.utilization().busiest()).isEqualTo("file descriptors 950/1000");
        LoadFigures loop = new LoadFigures(List.of(), 0, 0, 0, 1, -1, 0.8);
        assertThat(loop.utilization().value()).isEqualTo(0.8);
    }

    @Test
    void smallMovesAreHeldAndChangesWaitForTheMinimumInterval() {
        WeightGovernor g = new WeightGovernor(100, 0.5, 10, 30 * SECOND);
        assertThat(g.decide(u(0.1), 0).weight()).isEqualTo(100);
        WeightGovernor.Decision d = g.decide(u(0.8), SECOND);
        assertThat(d.weight()).as("within min_interval of the first").isEqualTo(100);
        assertThat(d.computed()).isEqualTo(40);
        assertThat(d.why()).contains("min_interval");
        assertThat(g.decide(u(0.8), 31 * SECOND)).extracting(WeightGovernor.Decision::weight, WeightGovernor.Decision::changed)
                .containsExactly(40, true);
        WeightGovernor.Decision small = g.decide(u(0.77), 62 * SECOND);
        assertThat(small.weight()).isEqualTo(40);
        assertThat(small.why()).contains("min_change");
        assertThat(g.decide(u(0.95), 63 * SECOND).weight()).isEqualTo(10);
        assertThat(g.decide(u(0.2), 70 * SECOND).weight()).as("min_interval holds the way up too").isEqualTo(10);
        assertThat(g.decide(u(0.2), 93 * SECOND).weight()).isEqualTo(100);
        assertThat(g.decide(u(0.54), 200 * SECOND).weight()).as("a small move off the ceiling is held").isEqualTo(100);
        assertThat(g.decide(u(0.5), 300 * SECOND).weight()).isEqualTo(100);
        g.decide(u(0.97), 400 * SECOND);
        assertThat(g.decide(u(1.0), 500 * SECOND).weight()).as("the floor is reached even by a small move").isEqualTo(1);
    }

    @Test
    void aNoisyLoadChangesTheRecordAtMostOncePerMinimumInterval() {
        WeightGovernor g = new WeightGovernor(100, 0.6, 10, 10 * SECOND);
        SplittableRandom r = new SplittableRandom(7);
        List<Long> changes = new ArrayList<>();
        for (long t = 0; t < 600; t++) {
            double load = 0.5 + 0.5 * Math.sin(t / 60.0) * Math.sin(t / 60.0) + r.nextDouble(-0.05, 0.05);
            WeightGovernor.Decision d = g.decide(u(load), t * SECOND);
            assertThat(d.weight()).isBetween(1, 100);
            if (d.changed()) {
                changes.add(t);
            }
        }
        for (int i = 1; i < changes.size(); i++) {
            assertThat(changes.get(i) - changes.get(i - 1)).isGreaterThanOrEqualTo(10);
        }
        assertThat(changes.size()).isLessThanOrEqualTo(61);
    }

    @Test
    void anUnreadableLoadKeepsWhatIsPublished() {
        WeightGovernor g = new WeightGovernor(80, 0.5, 5, 0);
        assertThat(g.unknown("refused").weight()).as("the ceiling before any reading").isEqualTo(80);
        g.decide(u(0.9), 0);
        assertThat(g.unknown("refused").weight()).isEqualTo(16);
    }
}
