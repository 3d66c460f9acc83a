package io.wavelb.core.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.core.testing.ControlFlows;
import io.wavelb.core.testing.EchoServer;
import io.wavelb.core.testing.Ports;
import io.wavelb.core.testing.WavelbProcess;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An attacker on the admin address: 1,000 unauthenticated PUTs, each declaring a 1 MiB body,
 * sending part of it ({@link #SENT} bytes, as much as the socket takes without waiting) and never
 * finishing, all held open, against a balancer limited to 64 MiB of direct memory (1,000 x 96 KiB
 * buffered would be half again as much). The balancer must stay alive, keep answering /healthz and /metrics
 * during and after the flood, keep serving a control UDP flow and TCP connection, and stop on
 * SIGTERM within the grace period + 5 s.
 */
@Tag("chaos")
@Timeout(120)
class AdminFloodChaosTest {

    static final int ATTACKERS = 1000;
    static final int SENT = 96 * 1024;

    @TempDir
    Path dir;

    @Test
    void aThousandUnfinishedUnauthenticatedPutsLeaveTheBalancerServing() throws Exception {
        int port = Ports.freeTcpAndUdp();
        int admin = Ports.freeTcpAndUdp();
        Path token = dir.resolve("admin.token");
        Files.writeString(token, "s3cret\n");
        List<SocketChannel> attackers = new ArrayList<>();
        try (EchoServer echo = EchoServer.start("e");
             WavelbProcess wavelb = WavelbProcess.start(dir, WavelbProcess.Spec.of(withToken(Chaos.config(admin, port, echo, ""),
                     admin, token), admin).jvm("-Xmx128m", "-XX:MaxDirectMemorySize=64m"))) {
            InetSocketAddress vip = new InetSocketAddress("127.0.0.1", port);
            InetSocketAddress adminAddress = new InetSocketAddress("127.0.0.1", admin);
            byte[] head = ("PUT /v1/target-groups/g/targets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 1048576\r\n\r\n{\"targets\":[").getBytes(StandardCharsets.US_ASCII);
            int probes = 0;
            int probesAnswered = 0;
            try (ControlFlows control = ControlFlows.start(vip, vip, Duration.ofMillis(20), 5000)) {
                ByteBuffer filler = ByteBuffer.wrap(("{\"address\":\"10.0.0.1:80\"},".repeat(SENT / 26 + 1))
                        .substring(0, SENT).getBytes(StandardCharsets.US_ASCII));
                for (int i = 0; i < ATTACKERS; i++) {
                    try {
                        SocketChannel s = SocketChannel.open(adminAddress);
                        attackers.add(s);
                        // Non-blocking: a balancer that stops reading must not stall the attacker (or the test).
                        s.configureBlocking(false);
                        s.write(ByteBuffer.wrap(head));
                        s.write(filler.duplicate());
                    } catch (IOException e) {
                        // refused or reset by the balancer: that is its right
                    }
                    if (i % 100 == 99) {
                        probes += 2;
                        probesAnswered += (wavelb.status("/healthz") == 200 ? 1 : 0) + (wavelb.status("/metrics") == 200 ? 1 : 0);
                    }
                }
                Chaos.waitForRequests(control, 100);
                for (int i = 0; i < 5; i++) {
                    probes += 2;
                    probesAnswered += (wavelb.status("/healthz") == 200 ? 1 : 0) + (wavelb.status("/metrics") == 200 ? 1 : 0);
                }
                control.close();
                assertThat(wavelb.isAlive()).as(wavelb.logTail()).isTrue();
                assertThat(probesAnswered).as("/healthz and /metrics during and after the flood; " + wavelb.logTail())
                        .isEqualTo(probes);
                assertThat(control.udp().servedFraction()).as(control.summary()).isGreaterThanOrEqualTo(0.99);
                assertThat(control.tcp().servedFraction()).as(control.summary()).isGreaterThanOrEqualTo(0.99);
            }
            assertThat(wavelb.metric("wavelb_admin_refused_total", "reason=\"unauthorized\"").orElse(0))
                    .as("the attackers were refused from their headers").isGreaterThan(0);
            assertThat(wavelb.log()).doesNotContain("OutOfDirectMemoryError").doesNotContain("OutOfMemoryError");
            assertThat(wavelb.stop(Chaos.STOP_LIMIT)).as(wavelb.logTail()).isZero();
        } finally {
            for (SocketChannel s : attackers) {
                s.close();
            }
        }
    }

    static String withToken(String yaml, int admin, Path token) {
        String listen = "  listen: 127.0.0.1:" + admin + "\n";
        return yaml.replace(listen, listen + "  token_file: " + token + "\n");
    }
}
