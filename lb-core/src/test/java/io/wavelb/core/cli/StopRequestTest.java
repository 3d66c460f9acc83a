package io.wavelb.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class StopRequestTest {

    private static final Duration GRACE = Duration.ofSeconds(30);

    @Test
    void theFirstSignalStartsTheGracefulStopWithTheWholeGracePeriod() {
        StopRequest r = new StopRequest();
        assertThat(r.latch().getCount()).isEqualTo(1);
        r.signal("TERM");
        assertThat(r.latch().getCount()).isZero();
        AtomicReference<Duration> given = new AtomicReference<>();
        r.drain(GRACE, given::set);
        assertThat(given.get()).isEqualTo(GRACE);
        assertThat(r.skipped()).isFalse();
    }

    @Test
    void aSecondSignalBeforeDrainingStartsLeavesNoGracePeriod() {
        StopRequest r = new StopRequest();
        r.signal("TERM");
        r.signal("INT");
        AtomicReference<Duration> given = new AtomicReference<>();
        r.drain(GRACE, given::set);
        assertThat(given.get()).isZero();
    }

    @Test
    void aSecondSignalWhileDrainingInterruptsTheWaitAndTheInterruptDoesNotOutliveIt() throws Exception {
        StopRequest r = new StopRequest();
        r.signal("TERM");
        CountDownLatch waiting = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        AtomicBoolean interruptAfter = new AtomicBoolean(true);
        Thread drainer = Thread.ofPlatform().start(() -> {
            r.drain(GRACE, grace -> {
                waiting.countDown();
                try {
                    Thread.sleep(grace.toMillis());
                } catch (InterruptedException e) {
                    interrupted.set(true);
                    Thread.currentThread().interrupt();
                }
            });
            interruptAfter.set(Thread.currentThread().isInterrupted());
        });
        assertThat(waiting.await(10, TimeUnit.SECONDS)).isTrue();
        r.signal("TERM");
        drainer.join(10_000);
        assertThat(drainer.isAlive()).isFalse();
        assertThat(interrupted).isTrue();
        assertThat(interruptAfter).as("interrupt status cleared after draining").isFalse();
        assertThat(r.skipped()).isTrue();
    }

    @Test
    void aThirdSignalChangesNothing() {
        StopRequest r = new StopRequest();
        r.signal("TERM");
        r.signal("TERM");
        r.signal("TERM");
        AtomicReference<Duration> given = new AtomicReference<>();
        r.drain(GRACE, given::set);
        assertThat(given.get()).isZero();
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }
}
