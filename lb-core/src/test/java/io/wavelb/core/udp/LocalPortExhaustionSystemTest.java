package io.wavelb.core.udp;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.core.testing.Commands;
import io.wavelb.core.testing.NetworkNamespace;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each UDP session's socket takes a local port from the kernel's ephemeral range, so the range is a
 * bound on open sessions (and, per target, on TCP connections to it). {@link LocalPortExhaustion} narrows it to a few ports in a namespace of
 * its own; a new flow past it is dropped and counted as {@code no_local_port}, with a warning naming
 * the sysctl, and the sessions already open go on. Needs root and iproute2, as CI has.
 */
@Timeout(120)
class LocalPortExhaustionSystemTest {

    private static final Pattern RESULT = Pattern.compile(
            "PORTS-RESULT transport=(\\w+) answered=(\\d+) sessions=(\\d+) noLocalPort=(\\d+) connectFailures=(\\d+)"
                    + " socketErrors=(\\d+) gauge=(\\S+)");

    @RegisterExtension
    final NetworkNamespace namespace = new NetworkNamespace("wavelb-ports");

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"epoll", "nio"})
    void newSessionsPastTheEphemeralRangeAreDroppedAndCounted(String transport) throws Exception {
        StringBuilder out = new StringBuilder();
        Matcher m = run(transport, "udp", out);
        int ports = LocalPortExhaustion.PORTS;
        int refused = LocalPortExhaustion.CLIENTS - ports;
        assertThat(Integer.parseInt(m.group(2))).as("clients answered: one session per free port").isEqualTo(ports);
        assertThat(Integer.parseInt(m.group(4))).as("new flows dropped as no_local_port").isEqualTo(refused);
        assertThat(m.group(6)).as("socket_error drops (that reason says: raise LimitNOFILE)").isEqualTo("0");
        assertThat(m.group(7)).as("wavelb_udp_local_ports").isEqualTo(ports + ".0");
        assertThat(out.toString()).as("the warning naming the sysctl")
                .contains("no free local port for a new UDP session's socket")
                .contains("the range: " + LocalPortExhaustion.FIRST_PORT + "-" + (LocalPortExhaustion.FIRST_PORT + ports - 1));
        // At start the namespace had the kernel's default range, 28,232 ports: under the default cap of 100,000.
        assertThat(out.toString()).as("the bound said at start").contains("at most 28232 UDP sessions at once on this host");
    }

    /**
     * TCP connections to one target share the range by 4-tuple: past it, {@code connect} fails with
     * EADDRNOTAVAIL. That is this host's shortage, not the target's failure: counted as
     * {@code no_local_port}, not as a connect failure (whose run ejects a target as an outlier).
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"epoll", "nio"})
    void tcpConnectionsPastTheEphemeralRangeAreNotTheTargetsFailure(String transport) throws Exception {
        StringBuilder out = new StringBuilder();
        Matcher m = run(transport, "tcp", out);
        int ports = LocalPortExhaustion.PORTS;
        // The kernel's search for a connect port is randomised and need not try every port of the
        // range before it gives up (seen: 4 of 5): at most one connection per port.
        int answered = Integer.parseInt(m.group(2));
        assertThat(answered).as("clients answered: at most one target connection per free port").isBetween(1, ports);
        assertThat(Integer.parseInt(m.group(4))).as("connections closed as no_local_port")
                .isEqualTo(LocalPortExhaustion.CLIENTS - answered);
        assertThat(m.group(5)).as("connect failures charged to the target").isEqualTo("0");
        assertThat(out.toString()).as("the warning naming the sysctl")
                .contains("no free local port for a connection to ")
                .contains("the range: " + LocalPortExhaustion.FIRST_PORT + "-" + (LocalPortExhaustion.FIRST_PORT + ports - 1));
    }

    /** {@link LocalPortExhaustion} in a fresh namespace; its parsed result line. */
    private Matcher run(String transport, String protocol, StringBuilder out) throws Exception {
        namespace.create();
        int exit = namespace.runJava(LocalPortExhaustion.class,
                List.of("--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"),
                List.of(transport, protocol), out, 90);
        assertThat(exit).as("exit of the balancer in the namespace; output:%n%s", Commands.tail(out.toString())).isZero();
        assertThat(out.toString()).doesNotContain("LEAK:");
        Matcher m = RESULT.matcher(out);
        assertThat(m.find()).as("result line in:%n%s", Commands.tail(out.toString())).isTrue();
        System.out.println(m.group());
        return m;
    }
}
