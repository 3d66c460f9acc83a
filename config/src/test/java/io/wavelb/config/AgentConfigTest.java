package io.wavelb.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AgentConfigTest {

    @Test
    void theIssuesExampleLoadsAsItIs() throws Exception {
        AgentConfig c = AgentConfigLoader.load(Path.of("examples/agent.yaml"));
        assertThat(c.clusterId()).isEqualTo("edge-media");
        assertThat(c.balancer().adminUrl()).isEqualTo(URI.create("http://127.0.0.1:9901"));
        assertThat(c.balancer().tokenFile()).hasValue(Path.of("/etc/wavelb/admin.token"));
        assertThat(c.balancer().targetGroup()).isEqualTo("media");
        assertThat(c.identity().publicIp()).hasValue("155.146.10.20");
        assertThat(c.identity().instanceId()).hasValue("i-0123456789abcdef0");
        assertThat(c.aws().endpoint()).hasValue(URI.create("http://127.0.0.1:5055"));
        assertThat(c.dns()).isEqualTo(new AgentConfig.Dns("Z0123456789ABC", "media.example.com", Duration.ofSeconds(30), 100));
        assertThat(c.cloudMap().staleAfter()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.cloudMap().crossZone()).isFalse();
        assertThat(c.drain()).isEqualTo(new AgentConfig.Drain(Duration.ofSeconds(35), Duration.ofSeconds(300)));
        assertThat(c.metricsListen()).isEqualTo(AgentConfig.DEFAULT_METRICS_LISTEN);
    }

    static final String MINIMAL = """
            agent:
              cluster_id: c
              balancer:
                admin_url: http://127.0.0.1:9901
                target_group: media
              aws:
                region: us-east-1
              dns:
                hosted_zone_id: Z1
                record_name: media.example.com
                ttl: 60s
              cloud_map:
                namespace: edge.local
                service: wavelb
                targets_service: media-servers
                heartbeat_interval: 20s
            """;

    @Test
    void defaultsFollowTheIssue() throws Exception {
        AgentConfig c = AgentConfigLoader.parse(MINIMAL, "a.yaml");
        assertThat(c.identity()).isEqualTo(AgentConfig.Identity.LEARNED);
        assertThat(c.aws().endpoint()).isEmpty();
        assertThat(c.dns().weight()).isEqualTo(100);
        assertThat(c.cloudMap().pollInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.cloudMap().staleAfter()).as("3 heartbeats").isEqualTo(Duration.ofSeconds(60));
        assertThat(c.drain().dnsWait()).as("TTL + 5 s").isEqualTo(Duration.ofSeconds(65));
    }

    @Test
    void anAgentSectionBesideTheBalancersIsLoadedByBothLoaders() throws Exception {
        String both = MINIMAL + """
                listeners:
                  - name: media
                    protocol: udp
                    listen: 127.0.0.1:7000
                    target_group: media
                target_groups:
                  - name: media
                    targets: []
                """;
        assertThat(AgentConfigLoader.parse(both, "both.yaml").clusterId()).isEqualTo("c");
        assertThat(ConfigLoader.parse(both, "both.yaml").listeners()).hasSize(1);
    }

    @Test
    void mistakesAreLocatedAndAllReported() {
        String bad = MINIMAL.replace("http://127.0.0.1:9901", "ftp://x").replace("ttl: 60s", "ttl: 60")
                .replace("  cluster_id: c\n", "  cluster_id: c\n  clustr: x\n") + "    weight: 300\n";
        assertThatThrownBy(() -> AgentConfigLoader.parse(bad, "a.yaml"))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).extracting(Problem::format)
                        .anyMatch(p -> p.startsWith("a.yaml:3:3: agent: unknown key 'clustr'"))
                        .anyMatch(p -> p.startsWith("a.yaml:5:16: agent.balancer.admin_url: 'ftp://x' is not an http(s) URL"))
                        .anyMatch(p -> p.startsWith("a.yaml:12:10: agent.dns.ttl:"))
                        .anyMatch(p -> p.contains("agent.cloud_map.weight") || p.contains("unknown key 'weight'")));
    }

    @Test
    void missingRequiredKeysAreNamed() {
        assertThatThrownBy(() -> AgentConfigLoader.parse("agent:\n  cluster_id: c\n", "a.yaml"))
                .hasMessageContaining("a.yaml:2:3: agent: missing required key 'balancer'")
                .hasMessageContaining("missing required key 'dns'")
                .hasMessageContaining("missing required key 'cloud_map'");
        assertThatThrownBy(() -> AgentConfigLoader.parse("listeners: []\n", "a.yaml"))
                .hasMessageContaining("missing required key 'agent'");
    }

    @Test
    void aRelativeTokenFileIsResolvedAgainstTheConfigsDirectory(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path f = dir.resolve("agent.yaml");
        Files.writeString(f, MINIMAL.replace("target_group: media", "target_group: media\n    token_file: admin.token"));
        assertThat(AgentConfigLoader.load(f).balancer().tokenFile()).isEqualTo(Optional.of(dir.resolve("admin.token")));
    }

    @Test
    void staleAfterMustOutlastAHeartbeat() {
        assertThatThrownBy(() -> AgentConfigLoader.parse(MINIMAL.replace("heartbeat_interval: 20s",
                "heartbeat_interval: 20s\n    stale_after: 10s"), "a.yaml"))
                .hasMessageContaining("agent.cloud_map.stale_after: must be longer than heartbeat_interval");
    }
}
