package io.wavelb.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** External commands for the tests that build network namespaces: bounded in time, output kept. */
public final class Commands {

    private Commands() { }

    /** Runs {@code command}, appending its output (stdout and stderr) to {@code output}; -1 when it overran {@code seconds}. */
    public static int run(List<String> command, StringBuilder output, long seconds) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                output.append(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // the process ended
            }
        });
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
            reader.join(5000);
            return -1;
        }
        reader.join(5000);
        return p.exitValue();
    }

    /** Runs {@code ip ARGS...} and asserts it succeeded. */
    public static void ip(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        StringBuilder out = new StringBuilder();
        assertThat(run(command, out, 20)).as("%s: %s (needs root and iproute2)", command, out).isZero();
    }

    /** The last 40 lines of {@code s}, for assertion messages. */
    public static String tail(String s) {
        List<String> lines = s.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }
}
