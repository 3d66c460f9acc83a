package io.wavelb.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;

/** The {@code flow_log:} section. */
final class FlowLogBinder {

    static final List<String> FLOW_LOG_KEYS = List.of("path", "stdout", "format", "sample", "on_start", "queue");

    private final NodeReader reader;
    /** A relative path is taken from the config file's directory, as admin.token_file is. */
    private final Path baseDirectory;

    FlowLogBinder(NodeReader reader, Path baseDirectory) {
        this.reader = reader;
        this.baseDirectory = baseDirectory;
    }

    /**
     * {@code map} null (no section, or an empty one) means no flow logs. The file is not opened
     * here ({@code parse} does not touch the file system): the balancer opens it at start and
     * reload, and refuses either when it cannot.
     */
    FlowLogConfig bind(MappingNode map) {
        if (map == null) {
            return FlowLogConfig.OFF;
        }
        Map<String, NodeTuple> f = reader.fields(map, "flow_log", FLOW_LOG_KEYS);
        Node pathNode = NodeReader.value(f, "path");
        Path path = pathNode == null ? null : reader.parsed(pathNode, "flow_log.path", "a file path", FlowLogBinder::path,
                (text, refusal) -> refusal instanceof InvalidPathException invalid
                        ? "'" + text + "' is not a valid path (" + invalid.getReason() + ")"
                        : refusal.getMessage());
        Node stdoutNode = NodeReader.value(f, "stdout");
        Boolean stdout = stdoutNode == null ? Boolean.FALSE : reader.bool(stdoutNode, "flow_log.stdout");
        Node formatNode = NodeReader.value(f, "format");
        FlowLogConfig.Format format = formatNode == null ? FlowLogConfig.Format.JSON : reader.choice(formatNode,
                "flow_log.format", List.of(FlowLogConfig.Format.values()), FlowLogConfig.Format::yamlName, "a format");
        Node sampleNode = NodeReader.value(f, "sample");
        Double sample = sampleNode == null ? Double.valueOf(1.0)
                : reader.parsed(sampleNode, "flow_log.sample", "a share such as 0.1", FlowLogBinder::sample);
        Node onStartNode = NodeReader.value(f, "on_start");
        Boolean onStart = onStartNode == null ? Boolean.FALSE : reader.bool(onStartNode, "flow_log.on_start");
        int queue = reader.integerOr(f, "queue", "flow_log", 1, FlowLogConfig.MAX_QUEUE, FlowLogConfig.DEFAULT_QUEUE);
        if (pathNode != null && Boolean.TRUE.equals(stdout)) {
            reader.problems().at(stdoutNode, "flow_log.stdout", "flow_log has both path and stdout: true"
                    + " (expected one destination)");
            return FlowLogConfig.OFF;
        }
        if (pathNode == null && stdoutNode == null) {
            reader.problems().at(map, "flow_log", "flow_log needs a destination: path (a file) or stdout: true"
                    + " (remove the section for no flow logs)");
            return FlowLogConfig.OFF;
        }
        if (path == null && pathNode != null || stdout == null || format == null || sample == null || onStart == null) {
            return FlowLogConfig.OFF;
        }
        return new FlowLogConfig(path == null ? Optional.empty() : Optional.of(baseDirectory.resolve(path).normalize()),
                stdout, format, sample, onStart, queue);
    }

    private static Path path(String text) {
        if (text.isBlank()) {
            throw new IllegalArgumentException("path is empty (expected the file flow records are appended to)");
        }
        Path p = Path.of(text);
        if (p.getFileName() == null) {
            throw new IllegalArgumentException("'" + text + "' names no file (expected the file flow records are"
                    + " appended to, e.g. /var/log/wavelb/flows.log)");
        }
        return p;
    }

    private static Double sample(String text) {
        double share;
        try {
            share = Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a number (expected a share 0 < sample <= 1,"
                    + " e.g. 0.1 for one flow in ten)");
        }
        if (!(share > 0 && share <= 1)) {
            throw new IllegalArgumentException("sample " + text + " is out of range (expected 0 < sample <= 1,"
                    + " e.g. 0.1 for one flow in ten)");
        }
        return share;
    }
}
