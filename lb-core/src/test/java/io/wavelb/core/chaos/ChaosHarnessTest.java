package io.wavelb.core.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.core.testing.ControlFlows;
import io.wavelb.core.testing.EchoServer;
import io.wavelb.core.testing.Ports;
import io.wavelb.core.testing.WavelbProcess;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The baseline every chaos test compares against: with no pressure, the control flows are all
 * answered, the metrics count them, and SIGTERM with a live TCP connection ends in exit 0.
 */
@Tag("chaos")
@Timeout(120)
class ChaosHarnessTest {

    @TempDir
    Path dir;

    @Test
    void withoutPressureEveryControlRequestIsAnsweredAndSigtermEndsCleanly() throws Exception {
        int port = Ports.freeTcpAndUdp();
        int admin = Ports.freeTcpAndUdp();
        try (EchoServer echo = EchoServer.start("e");
             WavelbProcess wavelb = WavelbProcess.start(dir, WavelbProcess.Spec.of(Chaos.config(admin, port, echo, ""), admin)
                     .jvm("-Xmx128m", "-XX:MaxDirectMemorySize=64m"))) {
            InetSocketAddress vip = new InetSocketAddress("127.0.0.1", port);
            try (ControlFlows control = ControlFlows.start(vip, vip, Duration.ofMillis(20), 100)) {
                Chaos.waitForRequests(control, 50);
                control.close();
                assertThat(control.udp().answered()).as(control.summary()).isEqualTo(control.udp().asked());
                assertThat(control.tcp().answered()).as(control.summary()).isEqualTo(control.tcp().asked());
                assertThat(wavelb.metric("wavelb_datagrams_total", "listener=\"edge\"", "direction=\"rx\"").orElse(0))
                        .as("the balancer counted the control datagrams").isGreaterThanOrEqualTo(50);
            }
            assertThat(wavelb.status("/healthz")).isEqualTo(200);
            assertThat(wavelb.stop(Chaos.STOP_LIMIT)).as(wavelb.logTail()).isZero();
        }
    }
}
