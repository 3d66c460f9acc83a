package io.wavelb.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.agent.identity.Identity;
import io.wavelb.config.AgentConfig;
import io.wavelb.config.AgentConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Every agent metric the shipped alert rules use is one the agent exports. */
class AlertRulesTest {

    @Test
    void everyAgentMetricAnAlertUsesIsExported() throws Exception {
        String rules = Files.readString(Path.of("../packaging/prometheus/wavelb-alerts.yml"));
        Set<String> used = new TreeSet<>();
        Matcher m = Pattern.compile("\\b(wavelb_agent_[a-z0-9_]+)").matcher(rules);
        while (m.find()) {
            used.add(m.group(1));
        }
        assertThat(used).isNotEmpty();
        AgentConfig config = AgentConfigLoader.load(Path.of("../config/examples/agent.yaml"));
        // real adapters on an endpoint nobody answers: constructing the agent makes no call
        java.util.Optional<java.net.URI> nowhere = java.util.Optional.of(java.net.URI.create("http://127.0.0.1:9"));
        var sd = io.wavelb.agent.aws.CloudMapInstances.client("us-east-1", nowhere);
        Agent agent = new Agent(config, new Identity("i-1", "z", "z", "10.0.0.1", "155.146.10.20"),
                new io.wavelb.agent.aws.Route53Records(io.wavelb.agent.aws.Route53Records.client("us-east-1", nowhere), "Z1"),
                new io.wavelb.agent.aws.CloudMapInstances(sd, "edge.local", "wavelb"),
                new io.wavelb.agent.aws.CloudMapInstances(sd, "edge.local", "media-servers"),
                new io.wavelb.agent.feed.BalancerClient(nowhere.get(), java.util.Optional.empty()));
        // counters with a service tag appear once used; count one call of each kind
        agent.metrics().counter("wavelb.agent.throttles", "service", "route53").increment();
        String scrape = agent.metrics().scrape();
        for (String name : used) {
            assertThat(scrape).as("alert metric %s", name).containsPattern("(?m)^" + name + "[{ ]");
        }
    }
}
