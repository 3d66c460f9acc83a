package io.wavelb.core.liveness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HeartbeatsTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final Heartbeats beats = new Heartbeats(3, now::get, Duration.ofSeconds(5));

    private void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    @Test
    void everyLoopCountsAsAliveAtTheStart() {
        assertThat(beats.stalled()).isEmpty();
        advance(Duration.ofSeconds(5));
        assertThat(beats.stalled()).as("exactly the limit is not yet a stall").isEmpty();
    }

    @Test
    void aLoopThatStopsBeatingIsNamedOnceTheLimitHasPassedAndClearedByItsNextBeat() {
        for (int i = 0; i < 12; i++) {
            advance(Duration.ofMillis(500));
            beats.beat(0);
            beats.beat(2);
        }
        assertThat(beats.stalled()).containsExactly("event loop 1 has not run for 6000ms (a busy spin or a blocking call)");
        beats.beat(1);
        assertThat(beats.stalled()).isEmpty();
    }

    @Test
    void everyStalledLoopHasItsOwnReason() {
        advance(Duration.ofSeconds(7));
        beats.beat(1);
        assertThat(beats.stalled()).hasSize(2).allMatch(r -> r.startsWith("event loop 0") || r.startsWith("event loop 2"));
    }

    @Test
    void atLeastOneLoop() {
        assertThatThrownBy(() -> new Heartbeats(0, now::get, Duration.ofSeconds(1))).hasMessageContaining("loops: 0");
    }
}
