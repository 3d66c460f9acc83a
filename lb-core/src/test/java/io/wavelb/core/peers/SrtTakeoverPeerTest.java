package io.wavelb.core.peers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wavelb.core.testing.Ports;
import io.wavelb.core.testing.WavelbProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 60 s srt-live-transmit stream through a wavelb process that is taken over twice in the
 * middle: the receiver's bytes hash the same as the sender's, no SRT packet was dropped or came too
 * late, and there was no reconnect (both ends run with {@code -a:no}, so a broken connection would
 * end them, and the sender's next write would fail). The SRT listener behind wavelb sees one
 * caller address for the whole stream.
 */
@Tag("peers")
@Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SrtTakeoverPeerTest {

    private static final int STREAM_SECONDS = 60;
    private static final int CHUNKS = SrtPeerTest.CHUNKS_PER_SECOND * STREAM_SECONDS;

    @TempDir
    Path dir;

    @Test
    void aSixtySecondStreamSurvivesTwoTakeoversByteForByte() throws Exception {
        String srt = Peer.require("srt-live-transmit", "srt-tools");
        int targetPort = Ports.freeTcpAndUdp();
        int port = Ports.freeTcpAndUdp();
        int admin = Ports.freeTcpAndUdp();
        String yaml = """
                admin:
                  listen: 127.0.0.1:%d
                runtime:
                  event_loops: 2
                  state_dir: %s
                  shutdown_grace_period: 5s
                listeners:
                  - name: srt
                    protocol: udp
                    listen: 127.0.0.1:%d
                    target_group: ingest
                target_groups:
                  - name: ingest
                    targets:
                      - address: 127.0.0.1:%d
                """.formatted(admin, dir.resolve("state"), port, targetPort);
        Path senderStats = dir.resolve("sender-stats.json");
        Path receiverStats = dir.resolve("receiver-stats.json");
        List<WavelbProcess> processes = new ArrayList<>();
        ExecutorService feeder = Executors.newSingleThreadExecutor();
        try (Peer receiver = Peer.start(dir, "receiver", List.of(srt, "-v", "-a:no", "-s:" + SrtPeerTest.STATS_EVERY,
                "-pf:json", "-f", "-statsout:" + receiverStats, "srt://127.0.0.1:" + targetPort + "?mode=listener",
                "file://con"))) {
            WavelbProcess first = WavelbProcess.start(Files.createDirectories(dir.resolve("gen0")), WavelbProcess.Spec.of(yaml, admin));
            processes.add(first);
            await().atMost(Duration.ofSeconds(30)).until(() -> first.log().contains("takeover: listening on"));
            KernelSockets.awaitUdpBound(targetPort, Duration.ofSeconds(10), "srt-live-transmit listener");
            try (Peer sender = Peer.start(dir, "sender", List.of(srt, "-v", "-a:no", "-c:" + SrtPeerTest.CHUNK,
                    "-s:" + SrtPeerTest.STATS_EVERY, "-pf:json", "-f", "-statsout:" + senderStats, "file://con",
                    "srt://127.0.0.1:" + port + "?mode=caller"))) {
                SrtPeerTest.awaitLine(sender, "SRT target connected", Duration.ofSeconds(10));
                Future<String> sent = feeder.submit(() -> SrtPeerTest.feed(sender.stdin(), CHUNKS));
                for (int k = 1; k <= 2; k++) {
                    Thread.sleep(STREAM_SECONDS * 1000L / 3);
                    WavelbProcess next = WavelbProcess.launch(Files.createDirectories(dir.resolve("gen" + k)),
                            WavelbProcess.Spec.of(yaml, admin).args("--takeover"));
                    processes.add(next);
                    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                            .until(() -> next.log().contains("takeover: complete") || !next.isAlive());
                    assertThat(next.log()).contains("takeover: 1 of 1 UDP session(s) taken");
                }
                String sentSha = sent.get(STREAM_SECONDS + 30L, TimeUnit.SECONDS);
                SrtPeerTest.awaitReceived(receiverStats, CHUNKS, Duration.ofSeconds(5));
                sender.stdin().close();
                receiver.terminate();
                sender.terminate();
                SrtPeerTest.Received got = SrtPeerTest.received(receiver.stdoutFile());
                SrtPeerTest.SrtTotals rx = SrtPeerTest.SrtTotals.read(receiverStats);
                String summary = "received " + got.bytes() + " bytes; receiver lost/dropped/belated " + rx.lost() + "/"
                        + rx.dropped() + "/" + rx.belated() + "; receiver stderr:\n" + receiver.stderr();
                System.out.println("srt through two takeovers: " + summary.lines().findFirst().orElse(""));
                assertThat(got.bytes()).as(summary).isEqualTo((long) CHUNKS * SrtPeerTest.CHUNK);
                assertThat(got.sha256()).as(summary).isEqualTo(sentSha);
                assertThat(rx.dropped()).as(summary).isZero();
                assertThat(rx.belated()).as(summary).isZero();
                assertThat(receiver.stderr()).as("one SRT connection for the whole stream")
                        .containsOnlyOnce("Accepted SRT source connection");
            }
        } finally {
            feeder.shutdownNow();
            for (WavelbProcess p : processes) {
                p.close();
            }
        }
    }
}
