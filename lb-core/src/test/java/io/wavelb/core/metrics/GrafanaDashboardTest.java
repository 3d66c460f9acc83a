package io.wavelb.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.core.stats.ListenerStats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The shipped Grafana dashboard parses, and every balancer, JVM, process and Netty metric its
 * queries select is one the balancer exports (the agent's are checked in lb-agent), so a renamed
 * metric cannot leave a panel silently empty.
 */
class GrafanaDashboardTest {

    static final Path DASHBOARD = Path.of("../packaging/grafana/wavelb-dashboard.json");

    /** A metric selector: a name directly followed by its label matchers, as every panel writes them. */
    static final Pattern SELECTOR = Pattern.compile("\\b([a-zA-Z_:][a-zA-Z0-9_:]*)\\{");

    /** Every {@code expr} of every panel, JSON read as YAML 1.1 flow style (its superset). */
    @SuppressWarnings("unchecked")
    static List<String> expressions(Path dashboard) throws Exception {
        Map<String, Object> doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(dashboard));
        List<String> exprs = new ArrayList<>();
        for (Map<String, Object> panel : (List<Map<String, Object>>) doc.get("panels")) {
            for (Map<String, Object> target : (List<Map<String, Object>>) panel.getOrDefault("targets", List.of())) {
                exprs.add((String) target.get("expr"));
            }
        }
        return exprs;
    }

    static Set<String> selectedMetrics(List<String> exprs) {
        Set<String> names = new TreeSet<>();
        for (String expr : exprs) {
            Matcher m = SELECTOR.matcher(expr);
            boolean any = false;
            while (m.find()) {
                names.add(m.group(1));
                any = true;
            }
            assertThat(any).as("query selects no metric by name{...}: %s", expr).isTrue();
        }
        return names;
    }

    @Test
    void everyBalancerMetricAPanelQueriesIsExported() throws Exception {
        List<String> exprs = expressions(DASHBOARD);
        assertThat(exprs).hasSizeGreaterThanOrEqualTo(20);
        Set<String> used = selectedMetrics(exprs);
        used.removeIf(n -> n.startsWith("wavelb_agent_"));
        assertThat(used).contains("wavelb_udp_sessions_opened_total", "wavelb_dropped_total", "wavelb_fail_open",
                "wavelb_target_healthy", "wavelb_config_reloads_total");
        AlertRulesTest.assertExported(used, "dashboard");
    }

    @Test
    void aMisspelledMetricIsCaught() {
        Set<String> used = selectedMetrics(List.of("sum(rate(wavelb_udp_sesions_opened_total{instance=~\"$instance\"}[5m]))"));
        try (WavelbMetrics metrics = new WavelbMetrics()) {
            metrics.addListener(new ListenerStats("l"), "udp", () -> 0);
            String scrape = metrics.scrape(null).body();
            assertThat(used).singleElement().satisfies(name ->
                    assertThat(scrape).doesNotContainPattern("(?m)^" + name + "[{ ]"));
        }
    }
}
