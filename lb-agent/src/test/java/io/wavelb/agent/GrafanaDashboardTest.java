package io.wavelb.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.agent.identity.Identity;
import io.wavelb.config.AgentConfigLoader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Every agent metric the shipped Grafana dashboard queries is one the agent exports. */
class GrafanaDashboardTest {

    @Test
    void everyAgentMetricAPanelQueriesIsExported() throws Exception {
        String dashboard = Files.readString(Path.of("../packaging/grafana/wavelb-dashboard.json"));
        Set<String> used = new TreeSet<>();
        Matcher m = Pattern.compile("\\b(wavelb_agent_[a-z0-9_]+)").matcher(dashboard);
        while (m.find()) {
            used.add(m.group(1));
        }
        assertThat(used).contains("wavelb_agent_published_weight", "wavelb_agent_cloud_map_unreachable",
                "wavelb_agent_api_calls_total", "wavelb_agent_load_utilization", "wavelb_agent_computed_weight",
                "wavelb_agent_lifecycle_leaving", "wavelb_agent_lifecycle_completions_total");
        // real adapters on an endpoint nobody answers: constructing the agent makes no call
        Optional<URI> nowhere = Optional.of(URI.create("http://127.0.0.1:9"));
        var sd = io.wavelb.agent.aws.CloudMapInstances.client("us-east-1", nowhere);
        Agent agent = new Agent(AgentConfigLoader.load(Path.of("../config/examples/agent.yaml")),
                new Identity("i-1", "z", "z", "10.0.0.1", "155.146.10.20"),
                new io.wavelb.agent.aws.Route53Records(io.wavelb.agent.aws.Route53Records.client("us-east-1", nowhere), "Z1"),
                new io.wavelb.agent.aws.CloudMapInstances(sd, "edge.local", "wavelb"),
                new io.wavelb.agent.aws.CloudMapInstances(sd, "edge.local", "media-servers"),
                new io.wavelb.agent.feed.BalancerClient(nowhere.get(), Optional.empty()));
        String scrape = agent.metrics().scrape();
        for (String name : used) {
            assertThat(scrape).as("dashboard metric %s", name).containsPattern("(?m)^" + name + "[{ ]");
        }
        sd.close();
    }
}
