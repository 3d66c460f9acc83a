package io.wavelb.core.udp;

import io.wavelb.config.ClientPrefix;
import io.wavelb.config.ListenerConfig;
import io.wavelb.config.NewFlowRate;
import io.wavelb.config.ProxyProtocol;
import io.wavelb.config.UdpSettings;
import io.wavelb.core.target.TargetGroup;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * What a UDP listener's event loops work with, built when the listener is bound or a reload
 * changes it, and handed to each loop: the data path reads these fields, never the listener's
 * volatile config per datagram.
 *
 * @param group   where new sessions pick their target
 * @param local   the listener's bound address (flow hash, PROXY header of a wildcard bind)
 * @param udp     the listener's UDP settings
 * @param proxyV2 whether every datagram to a target starts with a PROXY v2 header
 * @param clientPrefix what one client is for {@code udp.max_sessions_per_client} and {@code new_flows_per_client}
 * @param newFlowRate  {@code new_flows_per_client}
 * @param transparent  upstream sockets bind the client's address ({@code transparent})
 */
record UdpLoopSettings(TargetGroup group, InetSocketAddress local, UdpSettings udp, boolean proxyV2,
                       ClientPrefix clientPrefix, NewFlowRate newFlowRate, boolean transparent) {

    UdpLoopSettings {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(local, "local");
        Objects.requireNonNull(udp, "udp");
    }

    static UdpLoopSettings of(ListenerConfig config, TargetGroup group, InetSocketAddress local) {
        return new UdpLoopSettings(group, local, config.udp(), config.proxyProtocol() == ProxyProtocol.V2,
                config.clientPrefix(), config.newFlowsPerClient(), config.transparent());
    }

    int maxDatagramSize() {
        return udp.maxDatagramSize();
    }

    /** Room for a datagram of the largest size, plus the one byte that reveals a longer one. */
    int receiveCapacity() {
        return udp.maxDatagramSize() + 1;
    }

    /** The configured idle timeout: what the sweep interval follows. */
    long idleNanos() {
        return udp.idleTimeout().toNanos();
    }
}
