package io.wavelb.core.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.SelectStrategy;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/** The busy-poll decision: take ready I/O, poll again within the window, sleep after it. */
class BusyPollStrategyTest {

    @Test
    void pollsAgainWithinTheWindowAfterIo() throws Exception {
        BusyPollStrategy strategy = new BusyPollStrategy(TimeUnit.HOURS.toNanos(1));
        assertThat(strategy.calculateStrategy(() -> 3, false)).as("ready events are processed").isEqualTo(3);
        assertThat(strategy.calculateStrategy(() -> 0, false)).as("within the window: poll again").isEqualTo(SelectStrategy.CONTINUE);
        assertThat(strategy.calculateStrategy(() -> 0, true)).as("tasks waiting: run them").isZero();
    }

    @Test
    void sleepsOnceTheWindowHasPassed() throws Exception {
        BusyPollStrategy strategy = new BusyPollStrategy(1);
        assertThat(strategy.calculateStrategy(() -> 1, false)).isEqualTo(1);
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        assertThat(strategy.calculateStrategy(() -> 0, false)).as("quiet for longer than the window: sleep").isEqualTo(SelectStrategy.SELECT);
    }
}
