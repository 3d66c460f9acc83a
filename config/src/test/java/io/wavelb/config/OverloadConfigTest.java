package io.wavelb.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@code runtime.memory_budget} and {@code tcp.close_timeout}: read, defaulted, and refused with the place. */
class OverloadConfigTest {

    private static final String BASE = """
            runtime:
            %s
            listeners:
              - name: web
                protocol: tcp
                listen: 127.0.0.1:8080
                target_group: g
                tcp:
            %s
            target_groups:
              - name: g
                targets: []
            """;

    private static WavelbConfig parse(String runtime, String tcp) throws ConfigException {
        return ConfigLoader.parse(BASE.formatted(runtime, tcp), "c.yaml");
    }

    @Test
    void memoryBudgetAndCloseTimeoutAreRead() throws ConfigException {
        WavelbConfig c = parse("  memory_budget: 256MiB", "      close_timeout: 2s");
        assertThat(c.runtime().memoryBudget()).isEqualTo(256L << 20);
        assertThat(c.listeners().getFirst().tcp().closeTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(parse("  memory_budget: 2GiB", "      close_timeout: 1m").runtime().memoryBudget()).isEqualTo(2L << 30);
    }

    @Test
    void withoutThemTheBudgetIsDerivedAndTheCloseTimeoutIsFiveSeconds() throws ConfigException {
        WavelbConfig c = parse("  event_loops: 1", "      idle_timeout: 10s");
        assertThat(c.runtime().memoryBudget()).isZero();
        assertThat(c.listeners().getFirst().tcp().closeTimeout()).isEqualTo(TcpSettings.DEFAULT_CLOSE_TIMEOUT);
    }

    @Test
    void aBareNumberIsRefusedWithAHint() {
        assertThatThrownBy(() -> parse("  memory_budget: 512", "      idle_timeout: 10s"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("c.yaml:2:18: runtime.memory_budget: size '512' has no unit (add one, as in 512MiB");
    }

    @Test
    void decimalUnitsAreRefusedWithTheBinaryOne() {
        assertThatThrownBy(() -> parse("  memory_budget: 512MB", "      idle_timeout: 10s"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("runtime.memory_budget: '512MB' is not a size (did you mean 512MiB?)");
    }

    @Test
    void aBudgetOutOfRangeNamesTheRange() {
        assertThatThrownBy(() -> parse("  memory_budget: 1MiB", "      idle_timeout: 10s"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("runtime.memory_budget: memory_budget 1MiB (expected 8MiB..1TiB)");
        assertThatThrownBy(() -> parse("  event_loops: 1", "      close_timeout: 11m"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("listeners[0].tcp.close_timeout: close_timeout 11m (expected 1ms..10m)");
    }
}
