package io.wavelb.core.udp;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.core.testing.Commands;
import io.wavelb.core.testing.NetworkNamespace;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A GSO send whose segments do not fit the route's MTU is refused by the kernel (EMSGSIZE; EINVAL
 * on older kernels); the balancer must then send those datagrams one by one (the kernel fragments
 * each, as for any oversize datagram) and lose none. Loopback's MTU is 64 KiB, so this runs
 * {@link GsoBursts} in a network namespace the test creates, with loopback's MTU set to 1280, as a
 * child JVM. Needs root and iproute2, as CI has.
 */
@Timeout(120)
class GsoMtuSystemTest {

    @RegisterExtension
    final NetworkNamespace namespace = new NetworkNamespace("wavelb-gso");

    @Test
    void segmentsLargerThanTheMtuAreSentOneByOneAndAllArrive() throws Exception {
        namespace.create();
        namespace.ip("link", "set", "lo", "mtu", "1280");
        // 1400-byte runs cannot go as GSO under a 1280 MTU; the 200-byte run before them can.
        String sizes = "200,200,200,1400,1400,1400,1400,1400,900,1400,1400";
        int rounds = 5;
        StringBuilder out = new StringBuilder();
        int exit = namespace.runJava(GsoBursts.class, List.of("--enable-native-access=ALL-UNNAMED"),
                List.of(sizes, String.valueOf(rounds)), out, 90);
        String result = out.toString().lines().filter(l -> l.startsWith("GSO-RESULT")).findFirst().orElse("(none)");
        assertThat(exit).as("exit of the bursts in the namespace; output:%n%s", Commands.tail(out.toString())).isZero();
        assertThat(out.toString()).doesNotContain("LEAK:");
        // Round 1 sends its first 200-byte run as GSO, finds the 1400s refused, and from then on the
        // session sends one by one: 3 datagrams, and every datagram arrived (checked by GsoBursts).
        assertThat(result).contains("gsoDatagrams=3,").contains("upstreamBusy=0,").contains("unreachable=0]");
    }
}
