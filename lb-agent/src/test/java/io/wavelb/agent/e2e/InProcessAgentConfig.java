package io.wavelb.agent.e2e;

import io.wavelb.config.AgentConfig;
import io.wavelb.config.AgentConfigLoader;
import java.net.URI;

/** The config of an agent run inside the test (instance i-self, Cloud Map edge.local/wavelb) against AWS at {@code aws} and a balancer at {@code adminUrl}. */
final class InProcessAgentConfig {

    private InProcessAgentConfig() {
    }

    /** {@code weightLines}: the {@code dns.weight} line and anything under it, indented as dns's keys (or empty). */
    static AgentConfig of(String adminUrl, URI aws, String zoneId, String weightLines) throws Exception {
        return AgentConfigLoader.parse("""
                agent:
                  cluster_id: edge-media
                  balancer:
                    admin_url: %s
                    target_group: media
                  identity:
                    instance_id: i-self
                    zone: us-east-1-wl1-bos-wlz-1
                    private_ip: 10.0.1.5
                    public_ip: 155.146.10.20
                  aws:
                    region: us-east-1
                    endpoint: %s
                  dns:
                    hosted_zone_id: %s
                    record_name: media.example.com
                    ttl: 1s
                %s
                  cloud_map:
                    namespace: edge.local
                    service: wavelb
                    targets_service: media-servers
                """.formatted(adminUrl, aws, zoneId.replace("/hostedzone/", ""), weightLines.stripTrailing()),
                "in-process.yaml");
    }
}
