package io.wavelb.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;

/**
 * One entry of {@code target_groups:}: name, algorithm and its Maglev table size, targets,
 * deregistration, and its {@code health_check} ({@link HealthCheckBinder}) and
 * {@code outlier_detection} ({@link OutlierDetectionBinder}) sections.
 */
final class TargetGroupBinder {

    static final List<String> GROUP_KEYS = List.of("name", "algorithm", "maglev_table_size",
            "deregistration_delay", "terminate_on_unhealthy", "health_check", "outlier_detection", "targets");
    static final List<String> TARGET_KEYS = List.of("address", "weight", "server_id");
    static final int MAX_MAGLEV_TABLE_SIZE = 5_000_011;
    /** Maglev, NSDI'16 section 3.4: with M > 100 x N, targets' shares differ by at most about 1%. */
    static final int MAGLEV_SLOTS_PER_TARGET = 100;
    /** NLB's range for the deregistration delay. */
    static final Duration MAX_DEREGISTRATION_DELAY = Duration.ofSeconds(3600);

    private final NodeReader reader;
    private final Problems problems;
    private final HealthCheckBinder healthCheck;
    private final OutlierDetectionBinder outlierDetection;

    TargetGroupBinder(NodeReader reader) {
        this.reader = reader;
        this.problems = reader.problems();
        this.healthCheck = new HealthCheckBinder(reader);
        this.outlierDetection = new OutlierDetectionBinder(reader);
    }

    /** {@code null} when the entry is not even a mapping; a problem then says why. */
    ConfigDraft.Group bind(Node node, String path) {
        MappingNode map = reader.mapping(node, path);
        if (map == null) {
            return null;
        }
        Map<String, NodeTuple> f = reader.fields(map, path, GROUP_KEYS);
        Node nameNode = reader.required(f, map, path, "name");
        String name = nameNode == null ? null : reader.name(nameNode, path + ".name");
        Node algorithmNode = NodeReader.value(f, "algorithm");
        Algorithm algorithm = algorithmNode == null ? Algorithm.MAGLEV : reader.choice(algorithmNode,
                path + ".algorithm", List.of(Algorithm.values()), Algorithm::yamlName, "an algorithm");

        NodeTuple targetsEntry = f.get("targets");
        List<Node> targetNodes = targetsEntry == null ? List.of()
                : reader.items(targetsEntry.getValueNode(), path + ".targets");
        List<TargetConfig> targets = new ArrayList<>();
        Map<String, Node> seen = new HashMap<>();
        Map<String, Node> serverIdNodes = new HashMap<>();
        for (int j = 0; targetNodes != null && j < targetNodes.size(); j++) {
            String targetPath = path + ".targets[" + j + "]";
            MappingNode targetMap = reader.mapping(targetNodes.get(j), targetPath);
            if (targetMap == null) {
                continue;
            }
            Map<String, NodeTuple> tf = reader.fields(targetMap, targetPath, TARGET_KEYS);
            Node addressNode = reader.required(tf, targetMap, targetPath, "address");
            HostPort address = addressNode == null ? null : reader.hostPort(addressNode, targetPath + ".address");
            int weight = reader.integerOr(tf, "weight", targetPath, 1, TargetConfig.MAX_WEIGHT,
                    TargetConfig.DEFAULT_WEIGHT);
            Node serverIdNode = NodeReader.value(tf, "server_id");
            HexBytes serverId = serverIdNode == null ? null
                    : reader.hex(serverIdNode, targetPath + ".server_id", "a server ID in hex (\"0x0001\")");
            if (serverId != null && serverId.length() > QuicLbConfig.MAX_SERVER_ID_LENGTH) {
                problems.at(serverIdNode, targetPath + ".server_id", "server_id has " + serverId.length()
                        + " bytes (at most " + QuicLbConfig.MAX_SERVER_ID_LENGTH + ")");
                serverId = null;
            }
            if (address == null) {
                continue;
            }
            // Maglev hashes by address (STYLE rule 4): two entries for one address would be one target twice.
            Node first = seen.putIfAbsent(address.toString().toLowerCase(Locale.ROOT), addressNode);
            if (first != null) {
                problems.at(addressNode, targetPath + ".address",
                        "duplicate target " + address + " (first at " + Problems.where(first) + ")");
            } else {
                targets.add(new TargetConfig(address, weight, Optional.ofNullable(serverId)));
                if (serverId != null) {
                    serverIdNodes.put(address.toString().toLowerCase(Locale.ROOT), serverIdNode);
                }
            }
        }
        int targetCount = targetNodes == null ? 0 : targetNodes.size();
        int tableSize = maglevTableSize(f, path, algorithm, targetCount, targetsEntry);
        Duration deregistrationDelay = reader.durationOr(f, "deregistration_delay", path, Duration.ZERO,
                MAX_DEREGISTRATION_DELAY, TargetGroupConfig.DEFAULT_DEREGISTRATION_DELAY);
        Node terminateNode = NodeReader.value(f, "terminate_on_unhealthy");
        Boolean terminate = terminateNode == null ? null : reader.bool(terminateNode, path + ".terminate_on_unhealthy");
        NodeTuple healthEntry = f.get("health_check");
        Optional<HealthCheckConfig> check = healthEntry == null ? Optional.empty()
                : Optional.ofNullable(healthCheck.bind(healthEntry, path + ".health_check"));
        OutlierDetectionConfig outlier = outlierDetection.bind(
                reader.section(f, "outlier_detection", path + ".outlier_detection"), path + ".outlier_detection");
        return new ConfigDraft.Group(path, name, nameNode, algorithm == null ? Algorithm.MAGLEV : algorithm,
                targets, tableSize, check, outlier, deregistrationDelay, terminate != null && terminate, serverIdNodes);
    }

    private int maglevTableSize(Map<String, NodeTuple> f, String path, Algorithm algorithm, int targetCount,
                                NodeTuple targetsEntry) {
        NodeTuple entry = f.get("maglev_table_size");
        long needed = (long) MAGLEV_SLOTS_PER_TARGET * targetCount;
        String sizePath = path + ".maglev_table_size";
        if (entry == null) {
            if (algorithm != null && usesMaglev(algorithm)
                    && TargetGroupConfig.DEFAULT_MAGLEV_TABLE_SIZE <= needed) {
                problems.at(targetsEntry.getKeyNode(), path + ".targets", targetCount
                        + " targets need a maglev_table_size > " + needed + " (the default "
                        + TargetGroupConfig.DEFAULT_MAGLEV_TABLE_SIZE + " is too small; " + suggestTableSize(needed) + ")");
            }
            return TargetGroupConfig.DEFAULT_MAGLEV_TABLE_SIZE;
        }
        Integer size = reader.integer(entry.getValueNode(), sizePath, 1, MAX_MAGLEV_TABLE_SIZE, "maglev_table_size");
        if (size == null || algorithm == null) {
            return TargetGroupConfig.DEFAULT_MAGLEV_TABLE_SIZE;
        }
        if (!usesMaglev(algorithm)) {
            problems.at(entry.getKeyNode(), sizePath, "maglev_table_size applies only to algorithms maglev and "
                    + "source_ip; this group uses " + algorithm.yamlName() + " and would ignore it");
        } else if (!Primes.isPrime(size)) {
            // Maglev, NSDI'16 section 3.4: the permutation offset/skip construction needs a prime table size.
            problems.at(entry.getValueNode(), sizePath, "maglev_table_size " + size + " is not prime ("
                    + suggestTableSize(Math.max(size, needed)) + ")");
        } else if (size <= needed) {
            problems.at(entry.getValueNode(), sizePath, "maglev_table_size " + size + " is too small for "
                    + targetCount + " targets (expected a prime > 100 x " + targetCount + " = " + needed + "; "
                    + suggestTableSize(needed) + ")");
        }
        return size;
    }

    private static String suggestTableSize(long atLeast) {
        if (atLeast >= MAX_MAGLEV_TABLE_SIZE) {
            return "at most " + MAX_MAGLEV_TABLE_SIZE / MAGLEV_SLOTS_PER_TARGET + " targets fit the largest table, "
                    + MAX_MAGLEV_TABLE_SIZE;
        }
        return "try " + Primes.nextPrime((int) atLeast + 1);
    }

    static boolean usesMaglev(Algorithm algorithm) {
        return switch (algorithm) {
            case MAGLEV, SOURCE_IP -> true;
            case ROUND_ROBIN, LEAST_CONNECTIONS -> false;
        };
    }
}
