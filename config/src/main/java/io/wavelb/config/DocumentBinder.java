package io.wavelb.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;

/**
 * Reads the node tree into a {@link ConfigDraft}: the top-level keys, each section handed to its
 * binder ({@link AdminBinder}, {@link RuntimeBinder}, {@link FlowLogBinder}, {@link ListenerBinder},
 * {@link TargetGroupBinder}), all reading through one {@link NodeReader}. It never stops at the
 * first problem: a bad value is reported and replaced by its default so the rest is still checked.
 *
 * <p>It descends only along the schema, which is five levels deep, so a recursive alias or a huge
 * unknown subtree costs nothing.
 */
final class DocumentBinder {

    /** {@code agent} is the sidecar's section: allowed beside the balancer's, validated by the agent. */
    static final List<String> TOP_KEYS = List.of("admin", "runtime", "flow_log", "listeners", "target_groups", "agent");

    private final NodeReader reader;
    private final Problems problems;
    private final AdminBinder admin;
    private final RuntimeBinder runtime;
    private final FlowLogBinder flowLog;
    private final ListenerBinder listener;
    private final TargetGroupBinder group;

    DocumentBinder(Problems problems) {
        this(problems, Path.of("").toAbsolutePath());
    }

    /** {@code baseDirectory}: where relative paths in the config (admin.token_file, flow_log.path) are taken from. */
    DocumentBinder(Problems problems, Path baseDirectory) {
        this.problems = problems;
        this.reader = new NodeReader(problems);
        this.admin = new AdminBinder(reader, baseDirectory);
        this.runtime = new RuntimeBinder(reader);
        this.flowLog = new FlowLogBinder(reader, baseDirectory);
        this.listener = new ListenerBinder(reader);
        this.group = new TargetGroupBinder(reader);
    }

    /** {@code null} when the document is not even a mapping; a problem then says why. */
    ConfigDraft bind(Node root) {
        if (root == null || NodeReader.isNull(root)) {
            problems.atStart("", "empty config (expected a mapping with listeners and target_groups)");
            return null;
        }
        MappingNode top = reader.mapping(root, "");
        if (top == null) {
            return null;
        }
        Map<String, NodeTuple> fields = reader.fields(top, "", TOP_KEYS);

        AdminBinder.Bound adminSection = admin.bind(reader.section(fields, "admin", "admin"));
        RuntimeSettings runtimeSettings = runtime.bind(reader.section(fields, "runtime", "runtime"));
        FlowLogConfig flowLogConfig = flowLog.bind(reader.section(fields, "flow_log", "flow_log"));

        List<ConfigDraft.Listener> listeners = new ArrayList<>();
        Node listenerList = reader.required(fields, top, "", "listeners");
        List<Node> listenerNodes = listenerList == null ? List.of() : reader.items(listenerList, "listeners");
        if (listenerNodes != null && listenerNodes.isEmpty() && listenerList != null) {
            problems.at(listenerList, "listeners", "at least one listener is required");
        }
        for (int i = 0; listenerNodes != null && i < listenerNodes.size(); i++) {
            ConfigDraft.Listener l = listener.bind(listenerNodes.get(i), "listeners[" + i + "]");
            if (l != null) {
                listeners.add(l);
            }
        }

        List<ConfigDraft.Group> groups = new ArrayList<>();
        Node groupList = reader.required(fields, top, "", "target_groups");
        List<Node> groupNodes = groupList == null ? List.of() : reader.items(groupList, "target_groups");
        for (int i = 0; groupNodes != null && i < groupNodes.size(); i++) {
            ConfigDraft.Group g = group.bind(groupNodes.get(i), "target_groups[" + i + "]");
            if (g != null) {
                groups.add(g);
            }
        }
        return new ConfigDraft(adminSection.admin(), adminSection.listenNode(), runtimeSettings, flowLogConfig,
                listeners, groups);
    }
}
