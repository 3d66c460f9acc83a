package io.wavelb.core.health.state;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReplyWaitTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void theFirstUnansweredDatagramStartsTheWaitAndLaterOnesDoNotMoveIt() {
        long since = ReplyWait.sent(ReplyWait.ANSWERED, 10 * SECOND);
        assertThat(since).isEqualTo(10 * SECOND);
        assertThat(ReplyWait.sent(since, 11 * SECOND)).as("still waiting since the first").isEqualTo(10 * SECOND);
    }

    @Test
    void timesOutOnlyOnceTheTimeoutHasPassed() {
        long since = ReplyWait.sent(ReplyWait.ANSWERED, 0);
        assertThat(ReplyWait.timedOut(since, 5 * SECOND - 1, 5 * SECOND)).isFalse();
        assertThat(ReplyWait.timedOut(since, 5 * SECOND, 5 * SECOND)).isTrue();
    }

    @Test
    void anAnsweredFlowNeverTimesOut() {
        assertThat(ReplyWait.timedOut(ReplyWait.ANSWERED, Long.MAX_VALUE, SECOND)).isFalse();
    }

    @Test
    void aZeroTimeoutIsOff() {
        assertThat(ReplyWait.timedOut(0, 100 * SECOND, 0)).isFalse();
    }

    @Test
    void worksAcrossTheNanoTimeWrap() {
        long since = ReplyWait.sent(ReplyWait.ANSWERED, Long.MAX_VALUE - SECOND);
        assertThat(ReplyWait.timedOut(since, Long.MAX_VALUE + 2 * SECOND, 2 * SECOND)).isTrue();
        assertThat(ReplyWait.timedOut(since, Long.MAX_VALUE, 2 * SECOND)).isFalse();
    }
}
