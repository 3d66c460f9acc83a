package io.wavelb.core.chaos;

import io.wavelb.core.testing.ControlFlows;
import io.wavelb.core.testing.EchoServer;
import java.time.Duration;

/** What the chaos tests share: the grace period and stop limit, a minimal config, waits. */
final class Chaos {

    /** The configs' {@code runtime.shutdown_grace_period}. */
    static final Duration GRACE = Duration.ofSeconds(5);
    /** The bound for SIGTERM under pressure: the grace period + 5 s. */
    static final Duration STOP_LIMIT = GRACE.plusSeconds(5);

    private Chaos() {
    }

    /**
     * A {@code tcp_udp} listener "edge" on 127.0.0.1:{@code port} in front of {@code target}, the
     * admin endpoint on 127.0.0.1:{@code admin}; {@code extraRuntime} is appended to the runtime block
     * (indented two spaces per line).
     */
    static String config(int admin, int port, EchoServer target, String extraRuntime) {
        return """
                admin:
                  listen: 127.0.0.1:%d
                runtime:
                  event_loops: 2
                  shutdown_grace_period: %ds
                %s
                listeners:
                  - name: edge
                    protocol: tcp_udp
                    listen: 127.0.0.1:%d
                    target_group: g
                target_groups:
                  - name: g
                    targets:
                      - address: %s
                """.formatted(admin, GRACE.toSeconds(), extraRuntime.indent(2).stripTrailing(), port, target.address());
    }

    /** Waits (bounded: 60 s) until each running control flow has asked at least {@code n} requests. */
    static void waitForRequests(ControlFlows control, int n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline
                && ((control.udp() != null && control.udp().asked() < n) || (control.tcp() != null && control.tcp().asked() < n))) {
            Thread.sleep(50);
        }
    }
}
