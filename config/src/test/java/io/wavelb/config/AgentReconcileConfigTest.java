package io.wavelb.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@code agent.reconcile}: readiness threshold, Route 53 request budget and AWS retry policy. */
class AgentReconcileConfigTest {

    static String withReconcile(String section) {
        return AgentConfigTest.MINIMAL + "  reconcile:\n" + section.indent(4);
    }

    @Test
    void absentMeansTheDefaultsWellInsideRoute53sAccountLimit() throws Exception {
        AgentConfig c = AgentConfigLoader.parse(AgentConfigTest.MINIMAL, "a.yaml");
        assertThat(c.reconcile()).isEqualTo(AgentConfig.Reconcile.DEFAULTS);
        assertThat(c.reconcile().route53Rate()).isLessThan(5);
        assertThat(c.reconcile().unreadyAfter()).isEqualTo(3);
    }

    @Test
    void everyKeyIsRead() throws Exception {
        AgentConfig c = AgentConfigLoader.parse(withReconcile("""
                unready_after: 5
                route53_rate: 4
                route53_burst: 10
                backoff_base: 50ms
                backoff_max: 5s
                max_attempts: 3
                """), "a.yaml");
        assertThat(c.reconcile()).isEqualTo(new AgentConfig.Reconcile(5, 4, 10, Duration.ofMillis(50),
                Duration.ofSeconds(5), 3));
    }

    @Test
    void outOfRangeValuesAreReportedWhereTheyAre() {
        assertThatThrownBy(() -> AgentConfigLoader.parse(withReconcile("""
                unready_after: 0
                route53_rate: 51
                max_attempts: 21
                retries: 2
                """), "a.yaml"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("a.yaml:18:20: agent.reconcile.unready_after: unready_after 0 (expected 1..100)")
                .hasMessageContaining("a.yaml:19:19: agent.reconcile.route53_rate: route53_rate 51 (expected 1..50)")
                .hasMessageContaining("a.yaml:20:19: agent.reconcile.max_attempts: max_attempts 21 (expected 1..20)")
                .hasMessageContaining("a.yaml:21:5: agent.reconcile: unknown key 'retries'");
    }

    @Test
    void aCapBelowTheFirstDelayIsRefused() {
        assertThatThrownBy(() -> AgentConfigLoader.parse(withReconcile("""
                backoff_base: 2s
                backoff_max: 1s
                """), "a.yaml"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("agent.reconcile.backoff_max: backoff_max 1s is shorter than backoff_base 2s");
    }
}
