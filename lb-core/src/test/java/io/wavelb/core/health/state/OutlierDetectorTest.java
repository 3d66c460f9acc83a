package io.wavelb.core.health.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class OutlierDetectorTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void ejectsAfterConsecutiveFailuresForTheEjectionTime() {
        OutlierDetector d = new OutlierDetector(3, 10 * SECOND, 100);
        d.setTargets(List.of("a", "b"));
        assertThat(d.onFailure("a", 0)).isEmpty();
        assertThat(d.onFailure("a", 1)).isEmpty();
        assertThat(d.onFailure("a", 2)).hasValueSatisfying(x ->
                assertThat(x).isEqualTo(new OutlierDetector.Ejected("a", 2 + 10 * SECOND)));
        assertThat(d.isEjected("a", 5 * SECOND)).isTrue();
        assertThat(d.isEjected("a", 2 + 10 * SECOND)).isFalse();
        assertThat(d.isEjected("b", 5 * SECOND)).isFalse();
    }

    @Test
    void aSuccessResetsTheRun() {
        OutlierDetector d = new OutlierDetector(2, SECOND, 100);
        d.setTargets(List.of("a"));
        d.onFailure("a", 0);
        d.onSuccess("a");
        assertThat(d.onFailure("a", 1)).isEmpty();
        assertThat(d.onFailure("a", 2)).isPresent();
    }

    @Test
    void failuresDaysApartWithFlowsGettingThroughInBetweenNeverEject() {
        OutlierDetector d = new OutlierDetector(5, 30 * SECOND, 50);
        d.setTargets(List.of("a", "b"));
        long day = 86_400 * SECOND;
        for (int i = 0; i < 20; i++) {
            assertThat(d.onFailure("a", i * day)).as("failure on day %d", i).isEmpty();
            d.onSuccess("a");
        }
        assertThat(d.failureRun("a")).isZero();
        assertThat(d.isEjected("a", 20 * day)).isFalse();
    }

    @Test
    void aSuccessWithoutARunChangesNothing() {
        OutlierDetector d = new OutlierDetector(2, SECOND, 100);
        d.setTargets(List.of("a"));
        d.onSuccess("a");
        assertThat(d.failureRun("a")).isZero();
        d.onFailure("a", 0);
        assertThat(d.failureRun("a")).isEqualTo(1);
    }

    @Test
    void neverEjectsMoreThanMaxEjectionPercent() {
        OutlierDetector d = new OutlierDetector(1, 10 * SECOND, 50);
        d.setTargets(List.of("a", "b", "c", "d"));
        assertThat(d.onFailure("a", 0)).containsInstanceOf(OutlierDetector.Ejected.class);
        assertThat(d.onFailure("b", 0)).containsInstanceOf(OutlierDetector.Ejected.class);
        assertThat(d.onFailure("c", 0)).hasValueSatisfying(x ->
                assertThat(x).isEqualTo(new OutlierDetector.CapReached("c", 2, 4)));
        assertThat(d.isEjected("c", 1)).isFalse();
        // once an ejection runs out, there is room again
        assertThat(d.onFailure("c", 11 * SECOND)).containsInstanceOf(OutlierDetector.Ejected.class);
    }

    @Test
    void zeroConsecutiveFailuresDisablesIt() {
        OutlierDetector d = new OutlierDetector(0, SECOND, 100);
        d.setTargets(List.of("a"));
        for (int i = 0; i < 100; i++) {
            assertThat(d.onFailure("a", i)).isEmpty();
        }
        assertThat(d.enabled()).isFalse();
    }

    @Test
    void targetsThatLeaveAreForgotten() {
        OutlierDetector d = new OutlierDetector(2, SECOND, 100);
        d.setTargets(List.of("a"));
        d.onFailure("a", 0);
        d.setTargets(List.of("b"));
        d.setTargets(List.of("a", "b"));
        assertThat(d.onFailure("a", 1)).as("the earlier failure was forgotten").isEmpty();
    }
}
