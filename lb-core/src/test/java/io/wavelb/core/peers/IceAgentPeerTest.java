package io.wavelb.core.peers;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.core.testing.Commands;
import io.wavelb.core.testing.NetworkNamespace;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * ICE connectivity checks of real ice4j agents through {@code affinity: stun}. ice4j gathers no
 * candidates on loopback interfaces, so the scenario runs in a network namespace this test creates
 * (a veth pair with both ends inside it, two addresses, nothing reachable outside), as a child JVM started with
 * {@code ip netns exec}. Needs root and iproute2, as CI has.
 */
@Tag("peers")
class IceAgentPeerTest {

    @RegisterExtension
    final NetworkNamespace namespace = new NetworkNamespace("wavelb-ice");

    @Test
    void iceCompletesThroughTheBalancerOnTheTargetItsUfragNames() throws Exception {
        namespace.create();
        // A veth pair with both ends inside: an interface that is up and not loopback.
        namespace.ip("link", "add", "ice0", "type", "veth", "peer", "name", "ice1");
        namespace.ip("addr", "add", "10.231.0.1/24", "dev", "ice0");
        namespace.ip("addr", "add", "10.231.0.2/24", "dev", "ice0");
        namespace.ip("link", "set", "ice0", "up");
        namespace.ip("link", "set", "ice1", "up");

        StringBuilder out = new StringBuilder();
        int exit = namespace.runJava(IceScenario.class,
                List.of("-Dice4j.harvest.mapping.aws.enabled=false", "-Dorg.ice4j.ipv6.DISABLED=true"),
                List.of("10.231.0.1", "3478", "9911"), out, 90);
        String result = out.toString().lines().filter(l -> l.startsWith("ICE-RESULT")).findFirst().orElse("(none)");
        assertThat(exit).as("scenario exit; result: %s%noutput tail:%n%s", result, Commands.tail(out.toString())).isZero();
        assertThat(out.toString()).doesNotContain("LEAK:");
    }
}
