package io.wavelb.core.peers;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.core.testing.Commands;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * ICE connectivity checks of real ice4j agents through {@code affinity: stun}. ice4j gathers no
 * candidates on loopback interfaces, so the scenario runs in a network namespace this test creates
 * (a veth pair with both ends inside it, two addresses, nothing reachable outside), as a child JVM started with
 * {@code ip netns exec}. Needs root and iproute2, as CI has.
 */
@Tag("peers")
class IceAgentPeerTest {

    private final String namespace = "wavelb-ice-" + ProcessHandle.current().pid();

    @AfterEach
    void deleteNamespace() throws Exception {
        Commands.run(List.of("ip", "netns", "delete", namespace), new StringBuilder(), 20);
    }

    @Test
    void iceCompletesThroughTheBalancerOnTheTargetItsUfragNames() throws Exception {
        Commands.ip("netns", "add", namespace);
        Commands.ip("-n", namespace, "link", "set", "lo", "up");
        // A veth pair with both ends inside: an interface that is up and not loopback.
        Commands.ip("-n", namespace, "link", "add", "ice0", "type", "veth", "peer", "name", "ice1");
        Commands.ip("-n", namespace, "addr", "add", "10.231.0.1/24", "dev", "ice0");
        Commands.ip("-n", namespace, "addr", "add", "10.231.0.2/24", "dev", "ice0");
        Commands.ip("-n", namespace, "link", "set", "ice0", "up");
        Commands.ip("-n", namespace, "link", "set", "ice1", "up");

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of("ip", "netns", "exec", namespace, java,
                "-cp", System.getProperty("java.class.path"),
                "-Dio.netty.leakDetection.level=paranoid",
                "-Dice4j.harvest.mapping.aws.enabled=false",
                "-Dorg.ice4j.ipv6.DISABLED=true",
                IceScenario.class.getName(), "10.231.0.1", "3478", "9911");
        StringBuilder out = new StringBuilder();
        int exit = Commands.run(command, out, 90);
        String result = out.toString().lines().filter(l -> l.startsWith("ICE-RESULT")).findFirst().orElse("(none)");
        assertThat(exit).as("scenario exit; result: %s%noutput tail:%n%s", result, Commands.tail(out.toString())).isZero();
        assertThat(out.toString()).doesNotContain("LEAK:");
    }
}
