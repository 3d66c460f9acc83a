package io.wavelb.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import io.wavelb.core.admin.AdminOperations;
import io.wavelb.core.listener.AbstractListener;
import io.wavelb.core.testing.EchoServer;
import io.wavelb.core.testing.HeldLoop;
import io.wavelb.core.testing.UdpClient;
import io.wavelb.core.testing.Warnings;
import java.net.BindException;
import java.net.ConnectException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class LoadBalancerLifecycleTest {

    private static WavelbConfig config(Protocol protocol, int port, String target, Duration grace) {
        return new WavelbConfig(AdminConfig.DEFAULTS, new RuntimeSettings(2, Transport.AUTO, grace),
                List.of(new ListenerConfig("edge", protocol, new HostPort("127.0.0.1", port), "g",
                        UdpSettings.DEFAULTS, TcpSettings.DEFAULTS)),
                List.of(new TargetGroupConfig("g", Algorithm.MAGLEV, List.of(TargetConfig.of(HostPort.parse(target))), 65537)));
    }

    @Test
    void udpPortHeldByAnotherSocketFailsWithTheAddressNamed() throws Exception {
        try (DatagramSocket holder = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            int port = holder.getLocalPort();
            assertThatThrownBy(() -> LoadBalancer.start(config(Protocol.UDP, port, "127.0.0.1:9", Duration.ZERO)))
                    .isInstanceOf(BindException.class)
                    .hasMessage("listener 'edge': cannot listen on udp 127.0.0.1:" + port + ": address already in use");
        }
    }

    @Test
    void secondBalancerOnTheSamePortIsRefusedDespiteReusePort() throws Exception {
        try (LoadBalancer first = LoadBalancer.start(config(Protocol.TCP_UDP, 0, "127.0.0.1:9", Duration.ZERO))) {
            int port = first.address("edge").getPort();
            assertThatThrownBy(() -> LoadBalancer.start(config(Protocol.TCP_UDP, port, "127.0.0.1:9", Duration.ZERO)))
                    .isInstanceOf(BindException.class)
                    .hasMessageContaining("127.0.0.1:" + port)
                    .hasMessageContaining("address already in use");
        }
    }

    @Test
    void failedStartLeavesNothingBound() throws Exception {
        try (ServerSocket tcpHolder = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int taken = tcpHolder.getLocalPort();
            WavelbConfig two = new WavelbConfig(AdminConfig.DEFAULTS, RuntimeSettings.DEFAULTS,
                    List.of(new ListenerConfig("ok", Protocol.UDP, new HostPort("127.0.0.1", 0), "g",
                                    UdpSettings.DEFAULTS, TcpSettings.DEFAULTS),
                            new ListenerConfig("clash", Protocol.TCP, new HostPort("127.0.0.1", taken), "g",
                                    UdpSettings.DEFAULTS, TcpSettings.DEFAULTS)),
                    List.of(new TargetGroupConfig("g", Algorithm.MAGLEV, List.of(), 65537)));
            assertThatThrownBy(() -> LoadBalancer.start(two)).isInstanceOf(BindException.class)
                    .hasMessageContaining("listener 'clash'");
        }
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().startsWith("wavelb-loop") && t.isAlive()
                && !t.getState().equals(Thread.State.TERMINATED) && false);
    }

    @Test
    void shutdownStopsAcceptingButLetsOpenConnectionsFinish() throws Exception {
        try (EchoServer echo = EchoServer.start("e")) {
            LoadBalancer lb = LoadBalancer.start(config(Protocol.TCP, 0, echo.address(), Duration.ofSeconds(20)));
            InetSocketAddress vip = lb.address("edge");
            try (Socket open = new Socket()) {
                open.connect(vip, 5000);
                open.setSoTimeout(5000);
                open.getOutputStream().write('1');
                assertThat(open.getInputStream().read()).isEqualTo('1');

                CompletableFuture<Void> stopped = CompletableFuture.runAsync(() -> lb.shutdown(Duration.ofSeconds(20)));
                Thread.sleep(300);
                assertThat(stopped).isNotDone();
                assertThatThrownBy(() -> {
                    try (Socket late = new Socket()) {
                        late.connect(vip, 2000);
                    }
                }).isInstanceOf(ConnectException.class);
                // the open connection still works during the grace period
                open.getOutputStream().write('2');
                assertThat(open.getInputStream().read()).isEqualTo('2');
                open.close();
                // Well inside the 20 s grace period: the last connection's end ends the wait.
                stopped.get(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void shutdownClosesConnectionsStillOpenWhenTheGracePeriodEnds() throws Exception {
        try (EchoServer echo = EchoServer.start("e")) {
            LoadBalancer lb = LoadBalancer.start(config(Protocol.TCP, 0, echo.address(), Duration.ofMillis(500)));
            try (Socket open = echoedConnection(lb)) {
                List<String> warnings = Warnings.during(() -> lb.shutdown(Duration.ofMillis(500)));
                assertThat(open.getInputStream().read()).isEqualTo(-1);
                assertThat(warnings).containsExactly("grace period over: closing 1 open flow(s)");
            }
        }
    }

    @Test
    void closeEndsOpenFlowsAtOnceWithoutAGracePeriodWarning() throws Exception {
        // close() is shutdown without a grace period (the warm-up's private balancer, a failed
        // start): closing what is open is its plan, not a warning for an operator to read.
        try (EchoServer echo = EchoServer.start("e")) {
            LoadBalancer lb = LoadBalancer.start(config(Protocol.TCP, 0, echo.address(), Duration.ofSeconds(30)));
            try (Socket open = echoedConnection(lb)) {
                List<String> warnings = Warnings.during(lb::close);
                assertThat(open.getInputStream().read()).isEqualTo(-1);
                assertThat(warnings).isEmpty();
            }
        }
    }

    /**
     * A stuck event loop (here one held by a task; in the field, a loop blocked in a system call)
     * must not keep the balancer from stopping: each step waits at most SHUTDOWN_STEP, then the
     * shutdown goes on and says which loop it left, and where.
     */
    @Test
    void shutdownWithAStuckEventLoopEndsAfterItsBoundAndNamesTheLoop() throws Exception {
        try (EchoServer echo = EchoServer.start("e")) {
            LoadBalancer lb = LoadBalancer.start(config(Protocol.TCP_UDP, 0, echo.address(), Duration.ZERO));
            try (HeldLoop held = HeldLoop.hold(lb.loops().next())) {
                List<String> warnings = Warnings.during(lb::close);
                assertThat(held.holding()).as("close returned while the loop was still held").isTrue();
                assertThat(warnings).anyMatch(w -> w.startsWith("shutdown: stopping the listeners has not finished after "
                        + LoadBalancer.SHUTDOWN_STEP.toSeconds() + " s"));
                assertThat(warnings).anyMatch(w -> w.startsWith("shutdown: event loop(s) still running after ")
                        && w.contains("wavelb-loop-"));
            }
        }
    }

    /**
     * A reload that adds a listener while an event loop is stuck cannot bind the listener's socket
     * on that loop: it fails after OPEN_STEP, naming the listener and the wait, and the running
     * config stays (the old listener serves through the other loop). Once the loop runs again, the
     * same reload applies.
     */
    @Test
    void aReloadThatAddsAListenerWhileALoopIsStuckFailsAfterItsBoundAndKeepsTheRunningConfig() throws Exception {
        try (EchoServer echo = EchoServer.start("e")) {
            WavelbConfig running = config(Protocol.UDP, 0, echo.address(), Duration.ZERO);
            try (LoadBalancer lb = LoadBalancer.start(running)) {
                ListenerConfig extra = new ListenerConfig("extra", Protocol.TCP_UDP, new HostPort("127.0.0.1", 0), "g",
                        UdpSettings.DEFAULTS, TcpSettings.DEFAULTS);
                WavelbConfig next = new WavelbConfig(running.admin(), running.runtime(),
                        List.of(running.listeners().getFirst(), extra), running.targetGroups(), running.flowLog());
                AdminOperations.ReloadOutcome outcome;
                try (HeldLoop held = HeldLoop.hold(lb.loops().next())) {
                    outcome = lb.apply(next);
                    assertThat(held.holding()).as("the reload returned while the loop was still held").isTrue();
                    // A client whose datagram the kernel gives to the held loop's socket waits there:
                    // new clients (new source ports) until one is answered.
                    String answered = null;
                    for (int i = 0; i < 20 && answered == null; i++) {
                        try (UdpClient c = new UdpClient(lb.address("edge"))) {
                            answered = c.target("flow" + i + ":1", 500);
                        }
                    }
                    assertThat(answered).as("the running listener serves through the other loop").isEqualTo("e");
                }
                assertThat(outcome).isInstanceOfSatisfying(AdminOperations.Failed.class, f -> assertThat(f.message())
                        .contains("listener 'extra'")
                        .contains("its event loop did not open the socket within " + AbstractListener.OPEN_STEP.toSeconds() + " s"));
                assertThatThrownBy(() -> lb.address("extra")).isInstanceOf(IllegalArgumentException.class);

                assertThat(lb.apply(next)).as("the same reload, the loop running again").isInstanceOf(AdminOperations.Reloaded.class);
                try (UdpClient client = new UdpClient(lb.address("extra"))) {
                    assertThat(client.target("late:1", 5000)).isEqualTo("e");
                }
            }
        }
    }

    /** A TCP connection through listener "edge" that has carried one byte there and back. */
    private static Socket echoedConnection(LoadBalancer lb) throws java.io.IOException {
        Socket open = new Socket();
        open.connect(lb.address("edge"), 5000);
        open.setSoTimeout(5000);
        open.getOutputStream().write('1');
        assertThat(open.getInputStream().read()).isEqualTo('1');
        return open;
    }
}
