package io.wavelb.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** External commands for tests: bounded in time, output kept, killed when they overrun. */
public final class Commands {

    private Commands() { }

    /**
     * Runs {@code command}, appending its output (stdout and stderr) to {@code output}; -1 when it
     * overran {@code seconds} (it is then killed, and {@code output} has what it said until then).
     */
    public static int run(List<String> command, StringBuilder output, long seconds) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        ProcessOutput out = new ProcessOutput(p);
        try {
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                return -1;
            }
            return p.exitValue();
        } finally {
            kill(p);
            out.awaitEnd(Duration.ofSeconds(5));
            output.append(out.text());
        }
    }

    /**
     * Sends {@code signal} (e.g. "TERM", "HUP") to {@code pid} with kill(1), which Java cannot do for
     * any signal but TERM and KILL; fails when kill(1) did not succeed within 10 s.
     */
    public static void signal(long pid, String signal) throws IOException, InterruptedException {
        List<String> command = List.of("kill", "-" + signal, Long.toString(pid));
        StringBuilder out = new StringBuilder();
        int rc = run(command, out, 10);
        if (rc != 0) {
            throw new IOException(command + " exited " + rc + ": " + out);
        }
    }

    /**
     * SIGKILL to {@code p} and to every process it started (a launcher's child, a successor), and
     * waits at most 10 s for {@code p} to be gone; a no-op for a process that already ended.
     */
    public static void kill(Process p) throws InterruptedException {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
    }

    /** Runs {@code command} for at most {@code seconds}, asserts that it exited 0, and returns its output. */
    public static String check(List<String> command, long seconds) throws IOException, InterruptedException {
        StringBuilder out = new StringBuilder();
        assertThat(run(command, out, seconds)).as("%s: %s", command, out).isZero();
        return out.toString();
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
