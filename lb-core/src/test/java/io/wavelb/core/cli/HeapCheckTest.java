package io.wavelb.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.core.testing.Ports;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code check-config} and {@code run} refuse a config that cannot fit the heap of the JVM they run
 * in, with the figures, in a child JVM given bin/wavelb's default {@code -Xmx512m}.
 */
@Timeout(120)
class HeapCheckTest {

    @TempDir
    Path dir;

    private record Result(int code, String output) {
    }

    private Result wavelb(String... args) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx512m", "-XX:+ExitOnOutOfMemoryError",
                "-cp", System.getProperty("java.class.path"), "io.wavelb.core.cli.Main"));
        command.addAll(List.of(args));
        Path log = Files.createTempFile(dir, "wavelb", ".log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("exited").isTrue();
        } finally {
            p.destroyForcibly();
        }
        return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }

    /** The config: three UDP listeners, three Maglev groups of 40,000 targets each. */
    private Path threeGroupsOf40000() throws IOException {
        StringBuilder y = new StringBuilder("admin:\n  listen: 127.0.0.1:" + Ports.freeTcpAndUdp() + "\nlisteners:\n");
        for (int g = 0; g < 3; g++) {
            y.append("  - {name: l").append(g).append(", protocol: udp, listen: '127.0.0.1:")
                    .append(Ports.freeTcpAndUdp()).append("', target_group: g").append(g).append("}\n");
        }
        y.append("target_groups:\n");
        for (int g = 0; g < 3; g++) {
            y.append("  - name: g").append(g).append("\n    maglev_table_size: 4000037\n    targets:\n");
            for (int i = 0; i < 40_000; i++) {
                y.append("      - address: 10.").append(g).append('.').append(i / 250).append('.').append(i % 250 + 1)
                        .append(":7000\n");
            }
        }
        Path file = dir.resolve("huge.yaml");
        Files.writeString(file, y);
        return file;
    }

    @Test
    void checkConfigRefusesThreeGroupsOf40000TargetsIn512MiBWithTheFigures() throws Exception {
        Path huge = threeGroupsOf40000();

        Result r = wavelb("check-config", huge.toString());

        assertThat(r.code()).as(r.output()).isEqualTo(2);
        assertThat(r.output())
                .contains(huge + ":7:1: target_groups: needs ~")
                .contains("120000 targets in 3 group(s)")
                .contains("3 table(s), 12000111 slots")
                .contains("the JVM has 512 MiB of heap (-Xmx)")
                .contains("raise -Xmx to at least 1.")
                .contains("1 problem found")
                .doesNotContain("OutOfMemoryError");
    }

    @Test
    void runRefusesItBeforeStartingAnything() throws Exception {
        Path huge = threeGroupsOf40000();

        Result r = wavelb("run", "--config", huge.toString());

        assertThat(r.code()).as(r.output()).isEqualTo(2);
        assertThat(r.output()).contains("target_groups: needs ~").contains("is invalid; nothing started")
                .doesNotContain("OutOfMemoryError").doesNotContain("started on");
    }

    @Test
    void theExampleConfigsFitTheDefaultHeap() throws Exception {
        Path examples = Path.of(System.getProperty("user.dir")).resolveSibling("config").resolve("examples");
        Result r = wavelb("check-config", examples.resolve("wavelb.yaml").toString(),
                examples.resolve("lifecycle.yaml").toString(), examples.resolve("local.yaml").toString());

        assertThat(r.code()).as(r.output()).isZero();
        assertThat(r.output()).contains("wavelb.yaml: ok").contains("lifecycle.yaml: ok").contains("local.yaml: ok");
    }
}
