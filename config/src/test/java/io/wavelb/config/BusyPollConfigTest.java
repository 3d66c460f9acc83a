package io.wavelb.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@code runtime.busy_poll}: off by default, in microseconds or larger units, at most 1 s. */
class BusyPollConfigTest {

    private static RuntimeSettings runtime(String runtimeLine) throws ConfigException {
        return Yamls.withRuntimeLine(runtimeLine, "b.yaml").runtime();
    }

    @Test
    void offByDefaultAndReadInMicroseconds() throws ConfigException {
        assertThat(runtime("event_loops: 1").busyPoll()).isZero();
        assertThat(runtime("busy_poll: 50us").busyPoll()).isEqualTo(Duration.ofNanos(50_000));
        assertThat(runtime("busy_poll: 2ms").busyPoll()).isEqualTo(Duration.ofMillis(2));
        assertThat(runtime("busy_poll: 0s").busyPoll()).isZero();
    }

    @Test
    void outOfRangeOrUnitlessNamesTheKeyAndPlace() {
        assertThatThrownBy(() -> runtime("busy_poll: 2s")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("b.yaml:2:14: runtime.busy_poll");
        assertThatThrownBy(() -> runtime("busy_poll: 50")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("runtime.busy_poll").hasMessageContaining("units: us, ms, s, m, h");
    }

    @Test
    void microsecondsFormatBackExactly() {
        assertThat(Durations.format(Duration.ofNanos(50_000))).isEqualTo("50us");
        assertThat(Durations.format(Durations.parse("1500us"))).isEqualTo("1500us");
        assertThat(Durations.format(Durations.parse("2000us"))).isEqualTo("2ms");
    }
}
