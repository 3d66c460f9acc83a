package io.wavelb.agent.discovery;

import java.util.Map;
import java.util.Objects;

/** A Cloud Map instance as the agent sees it: its id and attributes (SDK objects become this at the edge). */
public record DiscoveredInstance(String id, Map<String, String> attributes) {

    /** Attribute names ECS uses when it registers tasks; the agent reads targets the same way. */
    public static final String IPV4 = "AWS_INSTANCE_IPV4";
    public static final String PORT = "AWS_INSTANCE_PORT";
    public static final String ZONE = "AVAILABILITY_ZONE";
    /** wavelb's own attributes on its peers' registrations. */
    public static final String CARRIER_IP = "WAVELB_CARRIER_IP";
    public static final String NETWORK_BORDER_GROUP = "WAVELB_NETWORK_BORDER_GROUP";
    public static final String WEIGHT = "WAVELB_WEIGHT";
    public static final String VERSION = "WAVELB_VERSION";
    /**
     * On a target's registration: its QUIC-LB server ID in hex (also its ICE ufrag prefix), which
     * the balancer's {@code affinity: quic} and {@code stun} listeners route by.
     */
    public static final String SERVER_ID = "WAVELB_SERVER_ID";
    /**
     * When the peer last heartbeated, epoch milliseconds. Cloud Map custom health never expires on
     * its own, so a killed agent would look healthy forever; its stale heartbeat is what gives it away.
     */
    public static final String HEARTBEAT = "WAVELB_HEARTBEAT";

    public DiscoveredInstance {
        Objects.requireNonNull(id, "id");
        attributes = Map.copyOf(attributes);
    }
}
