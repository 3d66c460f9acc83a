package io.wavelb.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.nodes.Node;

/**
 * What the binder could read, each value next to the node it came from so cross-checks can point
 * at it. A field is {@code null} when its value was missing or invalid (a problem already says so);
 * {@link #toConfig()} is only called when there are no problems, and then nothing is {@code null}.
 */
record ConfigDraft(AdminConfig admin, Node adminListenNode, RuntimeSettings runtime, FlowLogConfig flowLog,
                   List<Listener> listeners, List<Group> groups) {

    /** One listener; {@code path} is {@code listeners[i]}. */
    record Listener(String path, String name, Node nameNode, Protocol protocol, HostPort listen, Node listenNode,
                    String targetGroup, Node targetGroupNode, UdpSettings udp, TcpSettings tcp,
                    ProxyProtocol proxyProtocol, ClientPrefix clientPrefix, NewFlowRate newFlowsPerClient,
                    boolean transparent, Node transparentNode) {
    }

    /**
     * One target group; {@code path} is {@code target_groups[i]}. {@code targets} holds the valid
     * ones; {@code serverIdNodes} the server_id node of each target that has one, by lowercase address.
     */
    record Group(String path, String name, Node nameNode, Algorithm algorithm, List<TargetConfig> targets,
                 int maglevTableSize, Optional<HealthCheckConfig> healthCheck,
                 OutlierDetectionConfig outlierDetection, Duration deregistrationDelay,
                 boolean terminateOnUnhealthy, Map<String, Node> serverIdNodes) {
    }

    WavelbConfig toConfig() {
        List<ListenerConfig> listenerConfigs = new ArrayList<>(listeners.size());
        for (Listener l : listeners) {
            listenerConfigs.add(new ListenerConfig(l.name(), l.protocol(), l.listen(), l.targetGroup(), l.udp(), l.tcp(),
                    l.proxyProtocol(), l.clientPrefix(), l.newFlowsPerClient(), l.transparent()));
        }
        List<TargetGroupConfig> groupConfigs = new ArrayList<>(groups.size());
        for (Group g : groups) {
            groupConfigs.add(new TargetGroupConfig(g.name(), g.algorithm(), g.targets(), g.maglevTableSize(),
                    g.healthCheck(), g.outlierDetection(), g.deregistrationDelay(), g.terminateOnUnhealthy()));
        }
        return new WavelbConfig(admin, runtime, listenerConfigs, groupConfigs, flowLog);
    }
}
