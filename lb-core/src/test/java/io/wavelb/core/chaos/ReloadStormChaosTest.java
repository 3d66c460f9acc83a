package io.wavelb.core.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.core.testing.ControlFlows;
import io.wavelb.core.testing.EchoServer;
import io.wavelb.core.testing.Ports;
import io.wavelb.core.testing.WavelbProcess;
import io.wavelb.json.Json;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
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
 * A reload storm: SIGHUP after every kind of bad config file (invalid YAML, a listener naming a
 * group that does not exist, a file that vanished, a directory where the file was, a config too
 * large for the heap), interleaved with good reloads, while a control UDP flow and TCP connection
 * run. Every bad reload keeps the running config (the target's weight, which each good reload
 * changes, stays), nothing is dropped, and SIGTERM still ends the process in time.
 */
@Tag("chaos")
@Timeout(120)
class ReloadStormChaosTest {


    @TempDir
    Path dir;

    private int admin;
    private int port;
    private EchoServer echo;

    /** A good config: the one target with {@code weight}, the marker of which good reload is running. */
    private String good(int weight) {
        return Chaos.config(admin, port, echo, "").replace("      - address: " + echo.address() + "\n",
                "      - address: " + echo.address() + "\n        weight: " + weight + "\n");
    }

    private enum Bad { INVALID_YAML, UNKNOWN_GROUP, VANISHED, DIRECTORY, TOO_LARGE_FOR_THE_HEAP }

    /** Puts a bad config where the config file is. */
    private void writeBad(Path cfg, Bad bad) throws IOException {
        clear(cfg);
        switch (bad) {
            case INVALID_YAML -> Files.writeString(cfg, "listeners: [ {name: edge, protocol: tcp_udp\n  target_groups: ]\n");
            case UNKNOWN_GROUP -> Files.writeString(cfg, good(1).replace("target_group: g", "target_group: nosuchgroup"));
            case VANISHED -> { }
            case DIRECTORY -> Files.createDirectory(cfg);
            // 10 million sessions x ~488 B: far over the child's 128 MiB heap.
            case TOO_LARGE_FOR_THE_HEAP -> Files.writeString(cfg, good(1).replace("    target_group: g\n",
                    "    target_group: g\n    udp:\n      max_sessions: 10000000\n"));
        }
    }

    private static void clear(Path cfg) throws IOException {
        if (Files.isDirectory(cfg)) {
            Files.delete(cfg);
        } else {
            Files.deleteIfExists(cfg);
        }
    }

    private static double reloads(WavelbProcess w, String result) {
        return w.metric("wavelb_config_reloads_total", "result=\"" + result + "\"").orElse(0);
    }

    /** SIGHUP, then waits (bounded) until the reload counter with {@code result} reaches {@code expected}. */
    private static void hangUpAndWait(WavelbProcess w, String result, double expected) throws Exception {
        w.signal("HUP");
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (reloads(w, result) < expected && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(reloads(w, result)).as("reloads " + result + "\n" + w.logTail()).isEqualTo(expected);
    }

    /** The weight of every target of every group, in the order {@code /v1/targets} lists them. */
    private static List<Integer> weights(WavelbProcess w) throws Json.JsonException {
        HttpResponse<String> r = w.get("/v1/targets");
        assertThat(r).isNotNull();
        assertThat(r.statusCode()).isEqualTo(200);
        List<Integer> found = new ArrayList<>();
        for (Object g : Json.array(Json.object(Json.parse(r.body()), "/v1/targets").get("target_groups"), "target_groups")) {
            for (Object t : Json.array(Json.object(g, "a group").get("targets"), "targets")) {
                found.add(Json.number(Json.object(t, "a target"), "weight").orElseThrow().intValue());
            }
        }
        return found;
    }

    @Test
    void badReloadsInAStormKeepTheRunningConfigAndTheTraffic() throws Exception {
        admin = Ports.freeTcpAndUdp();
        port = Ports.freeTcpAndUdp();
        EchoServer target = EchoServer.start("e");
        echo = target;
        int weight = 10;
        try (target; WavelbProcess wavelb = WavelbProcess.start(dir, WavelbProcess.Spec.of(good(weight), admin)
                .jvm("-Xmx128m", "-XX:MaxDirectMemorySize=64m"))) {
            Path cfg = wavelb.configFile();
            InetSocketAddress vip = new InetSocketAddress("127.0.0.1", port);
            assertThat(weights(wavelb)).containsExactly(weight);
            int goodReloads = 0;
            int badReloads = 0;
            try (ControlFlows control = ControlFlows.start(vip, vip, Duration.ofMillis(20), 3000)) {
                for (int round = 0; round < 4; round++) {
                    for (Bad bad : Bad.values()) {
                        writeBad(cfg, bad);
                        hangUpAndWait(wavelb, "failure", ++badReloads);
                        assertThat(wavelb.isAlive()).as(bad + "\n" + wavelb.logTail()).isTrue();
                        assertThat(weights(wavelb)).as("after %s the running config stays", bad).containsExactly(weight);

                        weight++;
                        clear(cfg);
                        Files.writeString(cfg, good(weight));
                        hangUpAndWait(wavelb, "success", ++goodReloads);
                        assertThat(weights(wavelb)).as("a good reload after %s applies", bad).containsExactly(weight);
                    }
                }
                control.close();
                assertThat(control.udp().asked()).as(control.summary()).isPositive();
                assertThat(control.tcp().asked()).as(control.summary()).isPositive();
                assertThat(control.udp().servedFraction()).as(control.summary()).isGreaterThanOrEqualTo(0.99);
                assertThat(control.tcp().servedFraction()).as(control.summary()).isGreaterThanOrEqualTo(0.99);
            }
            assertThat(wavelb.log()).contains("reload rejected; the running config stays")
                    .contains("target group 'nosuchgroup' is not defined")
                    .contains(cfg + ": no such file")
                    .contains("needs ~");
            assertThat(wavelb.status("/healthz")).isEqualTo(200);
            assertThat(wavelb.stop(Chaos.STOP_LIMIT)).as(wavelb.logTail()).isZero();
        }
    }
}
