package io.wavelb.core.peers;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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

    private static int run(List<String> command, StringBuilder output, long seconds) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                output.append(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // the process ended
            }
        });
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
            reader.join(5000);
            return -1;
        }
        reader.join(5000);
        return p.exitValue();
    }

    private void ip(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        StringBuilder out = new StringBuilder();
        assertThat(run(command, out, 20)).as("%s: %s (needs root and iproute2)", command, out).isZero();
    }

    @AfterEach
    void deleteNamespace() throws Exception {
        run(List.of("ip", "netns", "delete", namespace), new StringBuilder(), 20);
    }

    @Test
    void iceCompletesThroughTheBalancerOnTheTargetItsUfragNames() throws Exception {
        ip("netns", "add", namespace);
        ip("-n", namespace, "link", "set", "lo", "up");
        // A veth pair with both ends inside: an interface that is up and not loopback.
        ip("-n", namespace, "link", "add", "ice0", "type", "veth", "peer", "name", "ice1");
        ip("-n", namespace, "addr", "add", "10.231.0.1/24", "dev", "ice0");
        ip("-n", namespace, "addr", "add", "10.231.0.2/24", "dev", "ice0");
        ip("-n", namespace, "link", "set", "ice0", "up");
        ip("-n", namespace, "link", "set", "ice1", "up");

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of("ip", "netns", "exec", namespace, java,
                "-cp", System.getProperty("java.class.path"),
                "-Dio.netty.leakDetection.level=paranoid",
                "-Dice4j.harvest.mapping.aws.enabled=false",
                "-Dorg.ice4j.ipv6.DISABLED=true",
                IceScenario.class.getName(), "10.231.0.1", "3478", "9911");
        StringBuilder out = new StringBuilder();
        int exit = run(command, out, 90);
        String result = out.toString().lines().filter(l -> l.startsWith("ICE-RESULT")).findFirst().orElse("(none)");
        assertThat(exit).as("scenario exit; result: %s%noutput tail:%n%s", result, tail(out.toString())).isZero();
        assertThat(out.toString()).doesNotContain("LEAK:");
    }

    private static String tail(String s) {
        List<String> lines = s.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }
}
