package io.wavelb.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * Binds the {@code agent:} section through the {@link NodeReader} the balancer's binders use, so its
 * problems read the same ({@code file:line:column: agent.dns.ttl: ...}). The balancer's own keys beside it are left
 * to the balancer's loader.
 */
final class AgentBinder {

    private static final List<String> AGENT_KEYS =
            List.of("cluster_id", "balancer", "identity", "aws", "dns", "cloud_map", "drain", "metrics_listen",
                    "reconcile", "lifecycle");
    private static final List<String> BALANCER_KEYS = List.of("admin_url", "token_file", "target_group");
    private static final List<String> IDENTITY_KEYS =
            List.of("instance_id", "zone", "network_border_group", "private_ip", "public_ip", "refresh_interval");
    private static final List<String> AWS_KEYS = List.of("region", "endpoint", "imds_endpoint", "cloudwatch");
    private static final List<String> CLOUDWATCH_KEYS = List.of("namespace", "interval");
    private static final List<String> DNS_KEYS = List.of("hosted_zone_id", "record_name", "ttl", "weight", "auto_weight");
    private static final List<String> AUTO_WEIGHT_KEYS = List.of("max_weight", "target_utilization", "min_change",
            "min_interval");
    private static final List<String> LIFECYCLE_KEYS = List.of("hook_name", "auto_scaling_group", "heartbeat_interval",
            "spot_interruption");
    private static final List<String> CLOUD_MAP_KEYS = List.of("namespace", "service", "targets_service", "cross_zone",
            "poll_interval", "heartbeat_interval", "stale_after");
    private static final List<String> DRAIN_KEYS = List.of("dns_wait", "timeout");
    private static final List<String> RECONCILE_KEYS = List.of("unready_after", "route53_rate", "route53_burst",
            "backoff_base", "backoff_max", "max_attempts");
    /** Route 53's per-account request bucket holds 50; a higher client budget could never be spent. */
    static final int MAX_ROUTE53_RATE = 50;
    private static final Duration ONE_SECOND = Duration.ofSeconds(1);
    private static final Duration ONE_DAY = Duration.ofDays(1);

    private final Problems problems;
    private final NodeReader reader;
    /** The balancer's token file rule, so {@code agent.balancer.token_file} reads as {@code admin.token_file}. */
    private final AdminBinder adminBinder;

    AgentBinder(Problems problems, Path baseDirectory) {
        this.problems = problems;
        this.reader = new NodeReader(problems);
        this.adminBinder = new AdminBinder(reader, baseDirectory);
    }

    /** The agent section of a document, or null with problems recorded. */
    AgentConfig bind(Node root) {
        if (root == null || NodeReader.isNull(root)) {
            problems.atStart("", "empty config (expected a mapping with an 'agent' section)");
            return null;
        }
        MappingNode top = reader.mapping(root, "");
        if (top == null) {
            return null;
        }
        Map<String, NodeTuple> fields = reader.fields(top, "", DocumentBinder.TOP_KEYS);
        Node agentNode = reader.required(fields, top, "", "agent");
        MappingNode agent = agentNode == null ? null : reader.mapping(agentNode, "agent");
        if (agent == null) {
            return null;
        }
        Map<String, NodeTuple> f = reader.fields(agent, "agent", AGENT_KEYS);
        String cluster = requiredText(f, agent, "agent", "cluster_id");

        MappingNode bal = requiredSection(f, agent, "agent", "balancer");
        AgentConfig.Balancer balancer = null;
        if (bal != null) {
            Map<String, NodeTuple> bf = reader.fields(bal, "agent.balancer", BALANCER_KEYS);
            URI admin = url(reader.required(bf, bal, "agent.balancer", "admin_url"), "agent.balancer.admin_url");
            Node tokenNode = NodeReader.value(bf, "token_file");
            Optional<Path> token = tokenNode == null ? Optional.empty() : adminBinder.tokenFile(tokenNode, "agent.balancer.token_file");
            String group = requiredText(bf, bal, "agent.balancer", "target_group");
            balancer = new AgentConfig.Balancer(admin, token, group);
        }

        AgentConfig.Identity identity = AgentConfig.Identity.LEARNED;
        MappingNode id = reader.section(f, "identity", "agent.identity");
        if (id != null) {
            Map<String, NodeTuple> idf = reader.fields(id, "agent.identity", IDENTITY_KEYS);
            identity = new AgentConfig.Identity(optionalText(idf, "agent.identity", "instance_id"),
                    optionalText(idf, "agent.identity", "zone"), optionalText(idf, "agent.identity", "network_border_group"),
                    optionalIp(idf, "agent.identity", "private_ip"), optionalIp(idf, "agent.identity", "public_ip"),
                    Optional.ofNullable(NodeReader.value(idf, "refresh_interval") == null ? null
                            : reader.durationOr(idf, "refresh_interval", "agent.identity", ONE_SECOND, ONE_DAY, ONE_SECOND)));
        }

        MappingNode awsMap = requiredSection(f, agent, "agent", "aws");
        AgentConfig.Aws aws = null;
        if (awsMap != null) {
            Map<String, NodeTuple> af = reader.fields(awsMap, "agent.aws", AWS_KEYS);
            String region = requiredText(af, awsMap, "agent.aws", "region");
            Node ep = NodeReader.value(af, "endpoint");
            Node imds = NodeReader.value(af, "imds_endpoint");
            Optional<AgentConfig.CloudWatch> cw = Optional.empty();
            MappingNode cwMap = reader.section(af, "cloudwatch", "agent.aws.cloudwatch");
            if (cwMap != null) {
                Map<String, NodeTuple> cf = reader.fields(cwMap, "agent.aws.cloudwatch", CLOUDWATCH_KEYS);
                String ns = NodeReader.value(cf, "namespace") == null ? AgentConfig.CloudWatch.DEFAULT_NAMESPACE
                        : requiredText(cf, cwMap, "agent.aws.cloudwatch", "namespace");
                cw = Optional.of(new AgentConfig.CloudWatch(ns == null ? AgentConfig.CloudWatch.DEFAULT_NAMESPACE : ns,
                        reader.durationOr(cf, "interval", "agent.aws.cloudwatch", ONE_SECOND, ONE_DAY,
                                AgentConfig.CloudWatch.DEFAULT_INTERVAL)));
            }
            aws = new AgentConfig.Aws(region, Optional.ofNullable(ep == null ? null : url(ep, "agent.aws.endpoint")),
                    Optional.ofNullable(imds == null ? null : url(imds, "agent.aws.imds_endpoint")), cw);
        }

        MappingNode dnsMap = requiredSection(f, agent, "agent", "dns");
        AgentConfig.Dns dns = null;
        if (dnsMap != null) {
            Map<String, NodeTuple> df = reader.fields(dnsMap, "agent.dns", DNS_KEYS);
            String zone = requiredText(df, dnsMap, "agent.dns", "hosted_zone_id");
            String name = requiredText(df, dnsMap, "agent.dns", "record_name");
            Duration ttl = reader.durationOr(df, "ttl", "agent.dns", ONE_SECOND, ONE_DAY, AgentConfig.Dns.DEFAULT_TTL);
            Node weightNode = NodeReader.value(df, "weight");
            boolean auto = weightNode instanceof ScalarNode sc && "auto".equals(sc.getValue());
            Optional<AgentConfig.AutoWeight> autoWeight = Optional.empty();
            MappingNode aw = reader.section(df, "auto_weight", "agent.dns.auto_weight");
            int weight;
            if (auto) {
                autoWeight = Optional.of(autoWeight(aw));
                weight = autoWeight.get().maxWeight();
            } else {
                weight = reader.integerOr(df, "weight", "agent.dns", 0, 255, AgentConfig.Dns.DEFAULT_WEIGHT);
                if (aw != null) {
                    problems.at(aw, "agent.dns.auto_weight", "applies only with 'weight: auto' (the weight is fixed at "
                            + weight + ")");
                }
            }
            dns = new AgentConfig.Dns(zone, name, ttl, weight, autoWeight);
        }

        MappingNode cm = requiredSection(f, agent, "agent", "cloud_map");
        AgentConfig.CloudMap cloudMap = null;
        if (cm != null) {
            Map<String, NodeTuple> cf = reader.fields(cm, "agent.cloud_map", CLOUD_MAP_KEYS);
            String ns = requiredText(cf, cm, "agent.cloud_map", "namespace");
            String service = requiredText(cf, cm, "agent.cloud_map", "service");
            String targets = requiredText(cf, cm, "agent.cloud_map", "targets_service");
            Node cz = NodeReader.value(cf, "cross_zone");
            Boolean crossZone = cz == null ? Boolean.FALSE : reader.bool(cz, "agent.cloud_map.cross_zone");
            Duration poll = reader.durationOr(cf, "poll_interval", "agent.cloud_map", ONE_SECOND, ONE_DAY,
                    AgentConfig.CloudMap.DEFAULT_POLL);
            Duration heartbeat = reader.durationOr(cf, "heartbeat_interval", "agent.cloud_map", ONE_SECOND, ONE_DAY,
                    AgentConfig.CloudMap.DEFAULT_HEARTBEAT);
            Duration stale = reader.durationOr(cf, "stale_after", "agent.cloud_map", ONE_SECOND, ONE_DAY, heartbeat.multipliedBy(3));
            if (stale.compareTo(heartbeat) <= 0 && NodeReader.value(cf, "stale_after") != null) {
                problems.at(NodeReader.value(cf, "stale_after"), "agent.cloud_map.stale_after",
                        "must be longer than heartbeat_interval (" + heartbeat.toSeconds() + "s), or live peers look dead");
            }
            cloudMap = new AgentConfig.CloudMap(ns, service, targets, crossZone != null && crossZone, poll, heartbeat, stale);
        }

        Duration ttl = dns == null ? AgentConfig.Dns.DEFAULT_TTL : dns.ttl();
        AgentConfig.Drain drain = new AgentConfig.Drain(ttl.plusSeconds(5), AgentConfig.Drain.DEFAULT_TIMEOUT);
        MappingNode dr = reader.section(f, "drain", "agent.drain");
        if (dr != null) {
            Map<String, NodeTuple> drf = reader.fields(dr, "agent.drain", DRAIN_KEYS);
            drain = new AgentConfig.Drain(
                    reader.durationOr(drf, "dns_wait", "agent.drain", Duration.ZERO, ONE_DAY, ttl.plusSeconds(5)),
                    reader.durationOr(drf, "timeout", "agent.drain", Duration.ZERO, ONE_DAY, AgentConfig.Drain.DEFAULT_TIMEOUT));
        }
        Node ml = NodeReader.value(f, "metrics_listen");
        HostPort metrics = ml == null ? AgentConfig.DEFAULT_METRICS_LISTEN : reader.hostPort(ml, "agent.metrics_listen");

        AgentConfig.Reconcile reconcile = reconcile(reader.section(f, "reconcile", "agent.reconcile"));
        Optional<AgentConfig.Lifecycle> lifecycle = Optional.empty();
        MappingNode lc = reader.section(f, "lifecycle", "agent.lifecycle");
        if (lc != null) {
            Map<String, NodeTuple> lf = reader.fields(lc, "agent.lifecycle", LIFECYCLE_KEYS);
            String hook = requiredText(lf, lc, "agent.lifecycle", "hook_name");
            Node sp = NodeReader.value(lf, "spot_interruption");
            Boolean spot = sp == null ? Boolean.TRUE : reader.bool(sp, "agent.lifecycle.spot_interruption");
            Duration hb = reader.durationOr(lf, "heartbeat_interval", "agent.lifecycle", ONE_SECOND,
                    Duration.ofHours(2), AgentConfig.Lifecycle.DEFAULT_HEARTBEAT);
            if (hook != null) {
                lifecycle = Optional.of(new AgentConfig.Lifecycle(hook, optionalText(lf, "agent.lifecycle", "auto_scaling_group"),
                        hb, spot == null || spot));
            }
        }

        if (reconcile == null || cluster == null || balancer == null || aws == null || dns == null || cloudMap == null || metrics == null
                || balancer.adminUrl() == null || balancer.targetGroup() == null || aws.region() == null
                || dns.hostedZoneId() == null || dns.recordName() == null || cloudMap.namespace() == null
                || cloudMap.service() == null || cloudMap.targetsService() == null) {
            return null;
        }
        return new AgentConfig(cluster, balancer, identity, aws, dns, cloudMap, drain, metrics, reconcile, lifecycle);
    }

    /** {@code dns.auto_weight}, defaults for every key absent (or the whole section absent). */
    private AgentConfig.AutoWeight autoWeight(MappingNode map) {
        String path = "agent.dns.auto_weight";
        if (map == null) {
            return new AgentConfig.AutoWeight(AgentConfig.Dns.DEFAULT_WEIGHT, AgentConfig.AutoWeight.DEFAULT_TARGET,
                    AgentConfig.AutoWeight.DEFAULT_MIN_CHANGE, AgentConfig.AutoWeight.DEFAULT_MIN_INTERVAL);
        }
        Map<String, NodeTuple> f = reader.fields(map, path, AUTO_WEIGHT_KEYS);
        int max = reader.integerOr(f, "max_weight", path, 1, 255, AgentConfig.Dns.DEFAULT_WEIGHT);
        double target = AgentConfig.AutoWeight.DEFAULT_TARGET;
        Node t = NodeReader.value(f, "target_utilization");
        if (t != null) {
            String expected = "a fraction such as 0.7 or a percentage such as 70%";
            Double v = reader.parsed(t, path + ".target_utilization", expected, AgentBinder::fraction,
                    (text, refusal) -> "'" + text + "' is not " + expected);
            if (v != null && (v < 0.05 || v > 0.99)) {
                problems.at(t, path + ".target_utilization", ((ScalarNode) t).getValue()
                        + " (expected 0.05..0.99, or 5%..99%)");
            } else if (v != null) {
                target = v;
            }
        }
        int minChange = reader.integerOr(f, "min_change", path, 1, 255, AgentConfig.AutoWeight.DEFAULT_MIN_CHANGE);
        Duration minInterval = reader.durationOr(f, "min_interval", path, ONE_SECOND, ONE_DAY,
                AgentConfig.AutoWeight.DEFAULT_MIN_INTERVAL);
        return new AgentConfig.AutoWeight(max, target, minChange, minInterval);
    }

    private AgentConfig.Reconcile reconcile(MappingNode map) {
        if (map == null) {
            return AgentConfig.Reconcile.DEFAULTS;
        }
        AgentConfig.Reconcile d = AgentConfig.Reconcile.DEFAULTS;
        String path = "agent.reconcile";
        Map<String, NodeTuple> f = reader.fields(map, path, RECONCILE_KEYS);
        int unreadyAfter = reader.integerOr(f, "unready_after", path, 1, 100, d.unreadyAfter());
        int rate = reader.integerOr(f, "route53_rate", path, 1, MAX_ROUTE53_RATE, d.route53Rate());
        int burst = reader.integerOr(f, "route53_burst", path, 1, MAX_ROUTE53_RATE, d.route53Burst());
        Duration base = reader.durationOr(f, "backoff_base", path, Duration.ofMillis(1), Duration.ofMinutes(1), d.backoffBase());
        Duration max = reader.durationOr(f, "backoff_max", path, Duration.ofMillis(1), Duration.ofMinutes(10), d.backoffMax());
        int attempts = reader.integerOr(f, "max_attempts", path, 1, 20, d.maxAttempts());
        if (max.compareTo(base) < 0) {
            Node at = NodeReader.value(f, "backoff_max") != null ? NodeReader.value(f, "backoff_max") : NodeReader.value(f, "backoff_base");
            problems.at(at, path + (NodeReader.value(f, "backoff_max") != null ? ".backoff_max" : ".backoff_base"),
                    "backoff_max " + Durations.format(max) + " is shorter than backoff_base " + Durations.format(base)
                            + " (the cap must be at least the first delay)");
            return null;
        }
        return new AgentConfig.Reconcile(unreadyAfter, rate, burst, base, max, attempts);
    }

    private MappingNode requiredSection(Map<String, NodeTuple> fields, MappingNode map, String path, String key) {
        Node node = reader.required(fields, map, path, key);
        return node == null ? null : reader.mapping(node, path + "." + key);
    }

    private String requiredText(Map<String, NodeTuple> fields, MappingNode map, String path, String key) {
        Node node = reader.required(fields, map, path, key);
        if (node == null) {
            return null;
        }
        String text = reader.text(node, path + "." + key, "text");
        if (text != null && text.isBlank()) {
            problems.at(node, path + "." + key, "must not be empty");
            return null;
        }
        return text;
    }

    private Optional<String> optionalText(Map<String, NodeTuple> fields, String path, String key) {
        Node node = NodeReader.value(fields, key);
        if (node == null) {
            return Optional.empty();
        }
        String text = reader.text(node, path + "." + key, "text");
        return Optional.ofNullable(text == null || text.isBlank() ? null : text);
    }

    private Optional<String> optionalIp(Map<String, NodeTuple> fields, String path, String key) {
        Optional<String> ip = optionalText(fields, path, key);
        if (ip.isPresent() && !ip.get().matches("(25[0-5]|2[0-4]\\d|1?\\d?\\d)(\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)){3}")) {
            problems.at(NodeReader.value(fields, key), path + "." + key, "'" + ip.get() + "' is not an IPv4 address");
            return Optional.empty();
        }
        return ip;
    }

    private URI url(Node node, String path) {
        if (node == null) {
            return null;
        }
        URI uri = reader.parsed(node, path, "a URL like http://127.0.0.1:9901", AgentBinder::uri,
                (text, refusal) -> "'" + text + "' is not a URL (" + refusal.getMessage() + ")");
        if (uri != null && (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null)) {
            problems.at(node, path, "'" + ((ScalarNode) node).getValue() + "' is not an http(s) URL with a host");
            return null;
        }
        return uri;
    }

    /** {@code 0.7} or {@code 70%}. */
    private static double fraction(String text) {
        return text.endsWith("%") ? Double.parseDouble(text.substring(0, text.length() - 1).strip()) / 100
                : Double.parseDouble(text);
    }

    private static URI uri(String text) {
        try {
            return new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(e.getReason(), e);
        }
    }
}
