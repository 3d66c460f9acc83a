package io.wavelb.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Fleet operations keys: {@code dns.weight: auto}, {@code aws.cloudwatch}, {@code lifecycle}, {@code identity.refresh_interval}. */
class AgentFleetConfigTest {

    private static String minimalWith(String dnsExtra, String awsExtra, String agentExtra) {
        return AgentConfigTest.MINIMAL
                .replace("    ttl: 60s\n", "    ttl: 60s\n" + dnsExtra.indent(4))
                .replace("    region: us-east-1\n", "    region: us-east-1\n" + awsExtra.indent(4))
                + agentExtra.indent(2);
    }

    @Test
    void aFixedWeightStaysAFixedWeightAndNothingNewIsOnByDefault() throws Exception {
        AgentConfig c = AgentConfigLoader.parse(AgentConfigTest.MINIMAL, "a.yaml");
        assertThat(c.dns().auto()).isEmpty();
        assertThat(c.aws().cloudWatch()).isEmpty();
        assertThat(c.lifecycle()).isEmpty();
        assertThat(c.identity().refreshInterval()).isEmpty();
    }

    @Test
    void weightAutoTakesTheDefaultsOrEveryKey() throws Exception {
        AgentConfig d = AgentConfigLoader.parse(minimalWith("weight: auto\n", "", ""), "a.yaml");
        assertThat(d.dns().auto()).contains(new AgentConfig.AutoWeight(100, 0.7, 10, Duration.ofSeconds(30)));
        assertThat(d.dns().weight()).as("the ceiling").isEqualTo(100);
        AgentConfig c = AgentConfigLoader.parse(minimalWith("""
                weight: auto
                auto_weight:
                  max_weight: 200
                  target_utilization: 60%
                  min_change: 20
                  min_interval: 2m
                """, "", ""), "a.yaml");
        assertThat(c.dns().auto()).contains(new AgentConfig.AutoWeight(200, 0.6, 20, Duration.ofMinutes(2)));
        assertThat(c.dns().weight()).isEqualTo(200);
    }

    @Test
    void autoWeightProblemsAreReportedWhereTheyAre() {
        assertThatThrownBy(() -> AgentConfigLoader.parse(minimalWith("""
                weight: auto
                auto_weight:
                  target_utilization: 1.5
                  min_change: 0
                """, "", ""), "a.yaml"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("agent.dns.auto_weight.target_utilization: 1.5 (expected 0.05..0.99, or 5%..99%)")
                .hasMessageContaining("agent.dns.auto_weight.min_change: min_change 0 (expected 1..255)");
        assertThatThrownBy(() -> AgentConfigLoader.parse(minimalWith("""
                weight: 50
                auto_weight:
                  min_change: 5
                """, "", ""), "a.yaml"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("agent.dns.auto_weight: applies only with 'weight: auto' (the weight is fixed at 50)");
    }

    @Test
    void cloudWatchLifecycleAndRefreshAreRead() throws Exception {
        AgentConfig c = AgentConfigLoader.parse(minimalWith("", """
                cloudwatch:
                  namespace: Edge/WaveLB
                  interval: 30s
                """, """
                identity:
                  refresh_interval: 10s
                lifecycle:
                  hook_name: wavelb-drain
                  auto_scaling_group: edge-bos
                  heartbeat_interval: 60s
                  spot_interruption: false
                """), "a.yaml");
        assertThat(c.aws().cloudWatch()).contains(new AgentConfig.CloudWatch("Edge/WaveLB", Duration.ofSeconds(30)));
        assertThat(c.identity().refreshInterval()).contains(Duration.ofSeconds(10));
        assertThat(c.lifecycle()).contains(new AgentConfig.Lifecycle("wavelb-drain", Optional.of("edge-bos"),
                Duration.ofSeconds(60), false));
        AgentConfig d = AgentConfigLoader.parse(minimalWith("", "cloudwatch: {}\n", "lifecycle:\n  hook_name: h\n"), "a.yaml");
        assertThat(d.aws().cloudWatch()).contains(new AgentConfig.CloudWatch("WaveLB", Duration.ofSeconds(60)));
        assertThat(d.lifecycle()).contains(new AgentConfig.Lifecycle("h", Optional.empty(), Duration.ofSeconds(300), true));
    }

    @Test
    void aLifecycleWithoutItsHookIsRefused() {
        assertThatThrownBy(() -> AgentConfigLoader.parse(minimalWith("", "", "lifecycle:\n  heartbeat_interval: 60s\n"),
                "a.yaml"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("agent.lifecycle: missing required key 'hook_name'");
    }
}
