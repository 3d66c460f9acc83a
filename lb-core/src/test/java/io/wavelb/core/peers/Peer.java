package io.wavelb.core.peers;

import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One real peer program run by a test: stdout and stderr go to files in the test's directory (a
 * pipe nobody drains would stall the program), stdin is a pipe the test may write to. Closing it
 * ends the program: SIGTERM, then SIGKILL if it is still there after a grace period.
 */
final class Peer implements AutoCloseable {

    private static final Duration TERM_GRACE = Duration.ofSeconds(3);

    private final String name;
    private final Process process;
    private final Path stdout;
    private final Path stderr;

    private Peer(String name, Process process, Path stdout, Path stderr) {
        this.name = name;
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /**
     * The absolute path of {@code program} on PATH. A missing program fails the test — these tools
     * are part of the CI image, so their absence is a broken machine, not a reason to skip.
     */
    static String require(String program, String debianPackage) {
        String path = System.getenv("PATH");
        for (String dir : (path == null ? "/usr/bin:/bin" : path).split(File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate.toAbsolutePath().toString();
            }
        }
        return fail("%s not found on PATH: install the Debian package %s (apt-get install %s; .ci/run does this)",
                program, debianPackage, debianPackage);
    }

    /** Starts {@code command}; its output goes to {@code dir/name.out} and {@code dir/name.err}. */
    static Peer start(Path dir, String name, List<String> command) throws IOException {
        Path out = dir.resolve(name + ".out");
        Path err = dir.resolve(name + ".err");
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command))
                .directory(dir.toFile())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile());
        return new Peer(name, pb.start(), out, err);
    }

    /** Waits for the program to end by itself; fails the test when it does not within {@code limit}. */
    int awaitExit(Duration limit) throws InterruptedException, IOException {
        if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            return fail("%s still running after %s; stderr:%n%s", name, limit, stderr());
        }
        return process.exitValue();
    }

    /** True once the program has ended. */
    boolean exited() {
        return !process.isAlive();
    }

    OutputStream stdin() {
        return process.getOutputStream();
    }

    Path stdoutFile() {
        return stdout;
    }

    String stdout() throws IOException {
        return Files.readString(stdout, StandardCharsets.UTF_8);
    }

    String stderr() throws IOException {
        return Files.readString(stderr, StandardCharsets.UTF_8);
    }

    /** Asks the program to stop (SIGTERM) and waits a little; returns whether it ended. */
    boolean terminate() throws InterruptedException {
        process.destroy();
        return process.waitFor(TERM_GRACE.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        try {
            process.getOutputStream().close();
        } catch (IOException alreadyGone) {
            // the program closed its stdin or ended: nothing to flush
        }
        process.destroy();
        try {
            if (!process.waitFor(TERM_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(TERM_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return name + " (pid " + process.pid() + ")";
    }
}
