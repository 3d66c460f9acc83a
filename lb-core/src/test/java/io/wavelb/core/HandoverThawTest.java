package io.wavelb.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.concurrent.EventExecutor;
import io.wavelb.config.AdminConfig;
import io.wavelb.config.Algorithm;
import io.wavelb.config.HostPort;
import io.wavelb.config.ListenerConfig;
import io.wavelb.config.Protocol;
import io.wavelb.config.RuntimeSettings;
import io.wavelb.config.TargetConfig;
import io.wavelb.config.TargetGroupConfig;
import io.wavelb.config.TcpSettings;
import io.wavelb.config.Transport;
import io.wavelb.config.UdpSettings;
import io.wavelb.config.WavelbConfig;
import io.wavelb.core.testing.EchoServer;
import io.wavelb.core.testing.HeldLoop;
import io.wavelb.core.testing.UdpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A takeover that fails after the freeze, in-process: the thaw with one event loop stuck. */
@Timeout(90)
class HandoverThawTest {

    /**
     * Every listener has a socket on each loop. With one loop stuck, the thaw must still reach the
     * other loop's sockets of every listener, and end after its bound. Before, it waited for each
     * listener in turn: the first listener's stuck socket kept the second listener frozen on every
     * loop, and the thaw from returning.
     */
    @Test
    void aThawWithOneLoopStuckServesEveryListenerOnTheOtherLoopAndEnds() throws Exception {
        try (EchoServer echo = EchoServer.start("e")) {
            WavelbConfig config = new WavelbConfig(AdminConfig.DEFAULTS, new RuntimeSettings(2, Transport.AUTO, Duration.ZERO),
                    List.of(new ListenerConfig("a", Protocol.UDP, new HostPort("127.0.0.1", 0), "g",
                                    UdpSettings.DEFAULTS, TcpSettings.DEFAULTS),
                            new ListenerConfig("b", Protocol.UDP, new HostPort("127.0.0.1", 0), "g",
                                    UdpSettings.DEFAULTS, TcpSettings.DEFAULTS)),
                    List.of(new TargetGroupConfig("g", Algorithm.MAGLEV, List.of(TargetConfig.of(HostPort.parse(echo.address()))), 65537)));
            LoadBalancer lb = LoadBalancer.start(config);
            try {
                Handover handover = new Handover(lb);
                handover.offer();
                handover.snapshot();
                handover.freeze();
                EventExecutor first = lb.loops().iterator().next();
                try (HeldLoop held = HeldLoop.hold(first)) {
                    CompletableFuture<Void> thawed = CompletableFuture.runAsync(handover::thaw);
                    thawed.get(Handover.LOOP_WORK_SECONDS + 20, TimeUnit.SECONDS);
                    assertThat(held.holding()).as("the thaw ended while the loop was still stuck").isTrue();

                    // The kernel spreads clients over a listener's two sockets: those on the other
                    // loop's socket are answered.
                    int answered = 0;
                    List<UdpClient> clients = new ArrayList<>();
                    try {
                        for (int i = 0; i < 20 && answered == 0; i++) {
                            UdpClient c = new UdpClient(lb.address("b"));
                            clients.add(c);
                            if (c.target("after the thaw " + i, 1000) != null) {
                                answered++;
                            }
                        }
                    } finally {
                        clients.forEach(UdpClient::close);
                    }
                    assertThat(answered).as("clients of listener b answered through the loop that is not stuck").isPositive();
                }
            } finally {
                lb.close();
            }
        }
    }
}
