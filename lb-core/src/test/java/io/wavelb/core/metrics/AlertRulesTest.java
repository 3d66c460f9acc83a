package io.wavelb.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.core.stats.ListenerStats;
import io.wavelb.core.takeover.TakeoverStats;
import java.nio.file.Files;
import java.nio.file.Path;
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

/** The shipped alert rules parse, and every balancer metric they use is one the balancer exports. */
class AlertRulesTest {

    static final Path RULES = Path.of("../packaging/prometheus/wavelb-alerts.yml");

    @SuppressWarnings("unchecked")
    static List<String> expressions() throws Exception {
        Map<String, Object> doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(RULES));
        return ((List<Map<String, Object>>) doc.get("groups")).stream()
                .flatMap(g -> ((List<Map<String, Object>>) g.get("rules")).stream())
                .map(r -> (String) r.get("expr")).toList();
    }

    static Set<String> metricNames(List<String> exprs, String prefix) {
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("\\b(wavelb_[a-z0-9_]+)").matcher(String.join("\n", exprs));
        while (m.find()) {
            if (m.group(1).startsWith(prefix) == !prefix.isEmpty() || prefix.isEmpty()) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    @Test
    void everyBalancerMetricAnAlertUsesIsExported() throws Exception {
        List<String> exprs = expressions();
        assertThat(exprs).hasSizeGreaterThanOrEqualTo(10);
        Set<String> used = new TreeSet<>(metricNames(exprs, ""));
        used.removeIf(n -> n.startsWith("wavelb_agent_"));
        assertExported(used, "alert");
    }

    /** Every name in {@code used} is a metric a balancer with one UDP listener, group and target exports. */
    static void assertExported(Set<String> used, String where) {
        try (WavelbMetrics metrics = new WavelbMetrics()) {
            metrics.addListener(new ListenerStats("l"), "udp", () -> 0);
            metrics.addGroup("g", () -> false);
            metrics.addTarget("g", "10.0.0.1:7000", () -> 1, () -> 0);
            metrics.reloadResult(true);
            metrics.addTakeover("old", new TakeoverStats());
            metrics.addFlowLog(io.wavelb.core.flowlog.FlowLog.OFF);
            metrics.addOverload(new WavelbMetrics.OverloadSource(() -> 1 << 20, () -> 0, a -> false, a -> 0, () -> 0,
                    () -> false));
            String scrape = metrics.scrape(null).body();
            for (String name : used) {
                assertThat(scrape).as("%s metric %s", where, name).containsPattern("(?m)^" + name + "[{ ]");
            }
        }
    }
}
