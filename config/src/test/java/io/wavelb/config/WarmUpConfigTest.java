package io.wavelb.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@code runtime.warm_up}: 5 s by default, 0 s for none, at most 30 s. */
class WarmUpConfigTest {

    private static RuntimeSettings runtime(String runtimeLine) throws ConfigException {
        return Yamls.withRuntimeLine(runtimeLine, "w.yaml").runtime();
    }

    @Test
    void defaultsToFiveSecondsAndIsRead() throws ConfigException {
        assertThat(runtime("event_loops: 1").warmUp()).isEqualTo(Duration.ofSeconds(5));
        assertThat(runtime("warm_up: 0s").warmUp()).isZero();
        assertThat(runtime("warm_up: 500ms").warmUp()).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void outOfRangeNamesTheKeyAndPlace() {
        assertThatThrownBy(() -> runtime("warm_up: 31s")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("w.yaml:2:12: runtime.warm_up");
        assertThatThrownBy(() -> runtime("warm_up: soon")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("runtime.warm_up");
    }
}
