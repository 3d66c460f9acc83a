package io.wavelb.core.udp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wavelb.config.Algorithm;
import io.wavelb.config.Protocol;
import io.wavelb.config.TcpSettings;
import io.wavelb.config.UdpSettings;
import io.wavelb.core.LoadBalancer;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.stats.ListenerStats;
import io.wavelb.core.testing.EchoServer;
import io.wavelb.core.testing.TestConfigs;
import io.wavelb.core.testing.UdpClient;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** NGINX-style session-end hints: one-shot flows must not hold a socket each until the idle timeout. */
@Timeout(60)
class UdpSessionHintsSystemTest {

    private static LoadBalancer start(EchoServer target, int maxRequests, int maxResponses) throws Exception {
        return LoadBalancer.start(TestConfigs.single(Protocol.UDP, Algorithm.MAGLEV,
                new UdpSettings(Duration.ofSeconds(120), 10_000, 9216, maxRequests, maxResponses),
                TcpSettings.DEFAULTS, List.of(target.address())));
    }

    @Test
    void maxResponsesEndsEachOneShotFlowWhenItsReplyIsBack() throws Exception {
        try (EchoServer echo = EchoServer.start("e"); LoadBalancer lb = start(echo, 0, 1)) {
            InetSocketAddress vip = lb.address("test");
            for (int i = 0; i < 200; i++) {
                try (UdpClient c = new UdpClient(vip)) {
                    assertThat(c.target("query-" + i)).isEqualTo("e");
                }
            }
            ListenerStats stats = lb.stats("test");
            await().atMost(Duration.ofSeconds(5)).until(() -> lb.listeners().getFirst().activeFlows() == 0);
            assertThat(stats.total(ListenerCounter.CLOSED_COMPLETED)).isEqualTo(200);
            assertThat(stats.total(ListenerCounter.CLOSED_IDLE)).isZero();
        }
    }

    @Test
    void maxRequestsStartsANewSessionAfterNClientDatagramsAndEveryReplyStillArrives() throws Exception {
        try (EchoServer echo = EchoServer.start("e"); LoadBalancer lb = start(echo, 2, 1);
             UdpClient c = new UdpClient(lb.address("test"))) {
            for (int i = 0; i < 6; i++) {
                assertThat(c.target("q" + i)).as("reply %d", i).isEqualTo("e");
            }
            ListenerStats stats = lb.stats("test");
            assertThat(stats.total(ListenerCounter.SESSIONS_CREATED)).isEqualTo(3);
            await().atMost(Duration.ofSeconds(5)).until(() -> stats.total(ListenerCounter.CLOSED_COMPLETED) == 3);
            assertThat(lb.listeners().getFirst().activeFlows()).isZero();
        }
    }

    @Test
    void withoutHintsASessionServesManyRequestsAndStaysOpen() throws Exception {
        try (EchoServer echo = EchoServer.start("e"); LoadBalancer lb = start(echo, 0, 0);
             UdpClient c = new UdpClient(lb.address("test"))) {
            for (int i = 0; i < 6; i++) {
                assertThat(c.target("q" + i)).isEqualTo("e");
            }
            assertThat(lb.stats("test").total(ListenerCounter.SESSIONS_CREATED)).isEqualTo(1);
            assertThat(lb.listeners().getFirst().activeFlows()).isEqualTo(1);
        }
    }
}
