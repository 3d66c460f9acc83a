package io.wavelb.core.overload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class OverloadManagerTest {

    private static final long BUDGET = 100L << 20;
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private static long used(double ratio) {
        return (long) (BUDGET * ratio);
    }

    @Test
    void belowEveryThresholdNothingIsDoneAndTimeoutsStay() {
        OverloadManager m = new OverloadManager();
        OverloadManager.Decision d = m.evaluate(used(0.5), BUDGET, 0);
        assertThat(d.changes()).isEmpty();
        assertThat(d.state().reduceTimeouts() || d.state().stopAccepting() || d.state().shedConnections()).isFalse();
        assertThat(d.state().idleNanos(120 * SECOND)).isEqualTo(120 * SECOND);
        assertThat(m.status().stuck()).isFalse();
        assertThat(m.status().actions()).isEmpty();
    }

    @Test
    void risingPressureTurnsActionsOnInOrderEachReportedOnce() {
        OverloadManager m = new OverloadManager();
        assertThat(m.evaluate(used(0.72), BUDGET, 0).changes()).extracting(OverloadManager.Change::action)
                .containsExactly(OverloadAction.REDUCE_TIMEOUTS);
        assertThat(m.evaluate(used(0.74), BUDGET, 1).changes()).isEmpty();
        OverloadManager.Decision d = m.evaluate(used(0.96), BUDGET, 2);
        assertThat(d.changes()).extracting(OverloadManager.Change::action)
                .containsExactly(OverloadAction.STOP_ACCEPTING, OverloadAction.SHED_CONNECTIONS);
        assertThat(d.changes()).allMatch(OverloadManager.Change::on);
        assertThat(d.state().stopAccepting()).isTrue();
        assertThat(d.state().shedConnections()).isTrue();
        assertThat(d.changes().getFirst().message())
                .isEqualTo("overload: stop_accepting on: direct memory 96.0 MiB of the 100.0 MiB budget (96 %); "
                        + "new TCP connections and UDP sessions are refused (dropped, reason overload)");
    }

    @Test
    void anActionTurnsOffOnlyBelowItsThresholdMinusTheHysteresis() {
        OverloadManager m = new OverloadManager();
        m.evaluate(used(0.86), BUDGET, 0);
        assertThat(m.evaluate(used(0.82), BUDGET, 3 * SECOND).state().stopAccepting()).as("within hysteresis").isTrue();
        OverloadManager.Decision off = m.evaluate(used(0.79), BUDGET, 4 * SECOND);
        assertThat(off.state().stopAccepting()).isFalse();
        assertThat(off.state().reduceTimeouts()).isTrue();
        assertThat(off.changes()).singleElement().satisfies(c -> {
            assertThat(c.action()).isEqualTo(OverloadAction.STOP_ACCEPTING);
            assertThat(c.on()).isFalse();
            assertThat(c.message()).contains("stop_accepting off").contains("new flows are accepted again");
        });
        assertThat(m.evaluate(used(0.1), BUDGET, 5 * SECOND).changes()).extracting(OverloadManager.Change::action)
                .containsExactly(OverloadAction.REDUCE_TIMEOUTS);
        assertThat(m.state().idleNanos(120 * SECOND)).isEqualTo(120 * SECOND);
    }

    @Test
    void stopAcceptingStaysOnForTwoSecondsSoAStormCannotFlapIt() {
        OverloadManager m = new OverloadManager();
        m.evaluate(used(0.9), BUDGET, 0);
        assertThat(m.evaluate(used(0.3), BUDGET, SECOND).state().stopAccepting()).isTrue();
        assertThat(m.evaluate(used(0.3), BUDGET, SECOND).state().reduceTimeouts()).as("only stop_accepting is held").isFalse();
        OverloadManager.Decision d = m.evaluate(used(0.3), BUDGET, 2 * SECOND);
        assertThat(d.state().stopAccepting()).isFalse();
        assertThat(d.changes()).extracting(OverloadManager.Change::action).containsExactly(OverloadAction.STOP_ACCEPTING);
    }

    @Test
    void idleTimeoutsShrinkLinearlyToTheFloorAtTheShedThreshold() {
        OverloadManager m = new OverloadManager();
        assertThat(m.evaluate(used(0.70), BUDGET, 0).state().idleNanos(100 * SECOND)).isEqualTo(100 * SECOND);
        long mid = m.evaluate(used(0.825), BUDGET, 1).state().idleNanos(100 * SECOND);
        assertThat(mid).isBetween(49 * SECOND, 51 * SECOND);
        assertThat(m.evaluate(used(0.99), BUDGET, 2).state().idleNanos(100 * SECOND)).isEqualTo(SECOND);
        assertThat(m.state().idleNanos(SECOND / 2)).as("never longer than configured").isEqualTo(SECOND / 2);
    }

    @Test
    void sheddingWithoutReliefForTheStuckTimeIsStuckAndRecoveryClearsIt() {
        OverloadManager m = new OverloadManager(OverloadThresholds.DEFAULTS, 30 * SECOND);
        m.evaluate(used(0.97), BUDGET, 0);
        assertThat(m.status().stuck()).isFalse();
        assertThat(m.status().reasons()).singleElement().asString().contains("closing connections");
        m.evaluate(used(0.98), BUDGET, 31 * SECOND);
        OverloadStatus stuck = m.status();
        assertThat(stuck.stuck()).isTrue();
        assertThat(stuck.actions()).containsExactly("reduce_timeouts", "stop_accepting", "shed_connections");
        assertThat(stuck.reasons()).singleElement().asString()
                .isEqualTo("direct memory 98.0 MiB of the 100.0 MiB budget (98 %) for 31 s despite closing connections");
        m.evaluate(used(0.5), BUDGET, 32 * SECOND);
        assertThat(m.status().stuck()).isFalse();
        assertThat(m.status().reasons()).isEmpty();
    }

    @Test
    void withoutABudgetThereIsNoPressure() {
        OverloadManager m = new OverloadManager();
        assertThat(m.evaluate(1L << 40, 0, 0).state().pressure()).isZero();
    }

    @Test
    void thresholdsMustBeOrdered() {
        assertThatThrownBy(() -> new OverloadThresholds(0.9, 0.8, 0.95, 0.05)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected 0 < reduce_timeouts <= stop_accepting <= shed <= 1");
    }

    @Test
    void theBudgetIsTheConfiguredOneWithinNinetyPercentOfTheJvmLimit() {
        assertThat(MemoryBudgets.budget(0, 1000)).isEqualTo(900);
        assertThat(MemoryBudgets.budget(500, 1000)).isEqualTo(500);
        assertThat(MemoryBudgets.budget(950, 1000)).isEqualTo(900);
    }
}
