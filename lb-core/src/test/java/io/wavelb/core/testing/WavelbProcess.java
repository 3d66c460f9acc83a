package io.wavelb.core.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * wavelb as a real child process ({@code wavelb run --config FILE} on this test's class path),
 * for tests that must see the whole process: its memory limits, its descriptors, its signals and
 * its exit. The config is written to a file in {@code dir}; the log goes to {@code dir/wavelb.log}.
 * Every wait is bounded; {@link #close} kills what a test left running.
 */
public final class WavelbProcess implements AutoCloseable {

    /** How long a start may take on a busy machine before the test fails. */
    private static final Duration START_LIMIT = Duration.ofSeconds(30);

    private final Process process;
    private final Path log;
    private final Path config;
    private final int adminPort;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private WavelbProcess(Process process, Path log, Path config, int adminPort) {
        this.process = process;
        this.log = log;
        this.config = config;
        this.adminPort = adminPort;
    }

    /**
     * What to start: the YAML (its admin block must listen on 127.0.0.1:{@code adminPort}), JVM
     * flags, an optional prlimit, and an optional launcher the java command is handed to (e.g.
     * {@code systemd-socket-activate -l ADDR --}).
     */
    public record Spec(String yaml, int adminPort, List<String> jvmFlags, String nofile, List<String> launcher,
                       List<String> runArgs) {
        public Spec {
            jvmFlags = List.copyOf(jvmFlags);
            launcher = List.copyOf(launcher);
            runArgs = List.copyOf(runArgs);
        }

        public static Spec of(String yaml, int adminPort) {
            return new Spec(yaml, adminPort, List.of(), null, List.of(), List.of());
        }

        public Spec jvm(String... flags) {
            List<String> all = new ArrayList<>(jvmFlags);
            all.addAll(List.of(flags));
            return new Spec(yaml, adminPort, all, nofile, launcher, runArgs);
        }

        /** Runs the child under {@code prlimit --nofile=N:N}. */
        public Spec nofile(int limit) {
            return new Spec(yaml, adminPort, jvmFlags, limit + ":" + limit, launcher, runArgs);
        }

        /** Runs the java command as the last arguments of {@code command}. */
        public Spec launchedBy(String... command) {
            return new Spec(yaml, adminPort, jvmFlags, nofile, List.of(command), runArgs);
        }

        /** More arguments after {@code run --config FILE} (e.g. {@code --takeover}). */
        public Spec args(String... more) {
            return new Spec(yaml, adminPort, jvmFlags, nofile, launcher, List.of(more));
        }
    }

    /** Starts the child and waits until its admin endpoint answers /readyz with 200. */
    public static WavelbProcess start(Path dir, Spec spec) throws IOException, InterruptedException {
        WavelbProcess w = launch(dir, spec);
        try {
            w.awaitReady();
        } catch (Throwable notReady) {
            // Also when the test's @Timeout interrupts the wait: the caller never gets w to close.
            w.close();
            throw notReady;
        }
        return w;
    }

    /** Starts the child without waiting for it (its launcher may wait for something first); see {@link #awaitReady}. */
    public static WavelbProcess launch(Path dir, Spec spec) throws IOException {
        Path cfg = dir.resolve("wavelb.yaml");
        Files.writeString(cfg, spec.yaml());
        Path log = dir.resolve("wavelb.log");
        List<String> cmd = new ArrayList<>();
        if (spec.nofile() != null) {
            cmd.addAll(List.of("prlimit", "--nofile=" + spec.nofile()));
        }
        cmd.addAll(spec.launcher());
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(spec.jvmFlags());
        // At a descriptor limit, classes come from jars as in production (see PackedClasspath).
        String classPath = spec.nofile() != null ? PackedClasspath.get() : System.getProperty("java.class.path");
        cmd.addAll(List.of("-cp", classPath, "io.wavelb.core.cli.Main", "run", "--config", cfg.toString()));
        cmd.addAll(spec.runArgs());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new WavelbProcess(p, log, cfg, spec.adminPort());
    }

    /** Waits until the admin endpoint answers /readyz with 200; fails (and kills the child) when it exits or takes too long. */
    public void awaitReady() throws InterruptedException {
        long deadline = System.nanoTime() + START_LIMIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("wavelb exited with " + process.exitValue() + " while starting:\n" + logTail());
            }
            if (status("/readyz") == 200) {
                return;
            }
            Thread.sleep(100);
        }
        close();
        throw new IllegalStateException("wavelb did not become ready in " + START_LIMIT + ":\n" + logTail());
    }

    public Process process() {
        return process;
    }

    public long pid() {
        return process.pid();
    }

    public Path configFile() {
        return config;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The HTTP status of GET {@code path} on the admin endpoint, or -1 when it did not answer within 2 s. */
    public int status(String path) {
        HttpResponse<String> r = get(path);
        return r == null ? -1 : r.statusCode();
    }

    /** GET {@code path} on the admin endpoint; null when it did not answer within 2 s. */
    public HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(admin(path)).timeout(Duration.ofSeconds(2)).GET().build());
    }

    /** Any request to the admin endpoint; null when it did not answer within its timeout. */
    public HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    public URI admin(String path) {
        return URI.create("http://127.0.0.1:" + adminPort + path);
    }

    /**
     * The sum of a metric's samples on /metrics whose labels contain every one of {@code labels}
     * (e.g. {@code "listener=\"edge\""}); empty when the scrape failed or no sample matched.
     */
    public OptionalDouble metric(String name, String... labels) {
        HttpResponse<String> r = get("/metrics");
        if (r == null || r.statusCode() != 200) {
            return OptionalDouble.empty();
        }
        return Metrics.sum(r.body(), name, labels);
    }

    /** Sends {@code signal} (e.g. "TERM", "HUP") with kill(1). */
    public void signal(String signal) throws IOException, InterruptedException {
        Commands.signal(process.pid(), signal);
    }

    /**
     * SIGTERM, then waits up to {@code limit} for the exit: the exit code, or -1 when it did not end
     * in time (the process is then killed, so the test can still clean up).
     */
    public int stop(Duration limit) throws IOException, InterruptedException {
        signal("TERM");
        if (process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            return process.exitValue();
        }
        Commands.kill(process);
        return -1;
    }

    public String log() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** The last 40 lines of the log, for assertion messages. */
    public String logTail() {
        return Commands.tail(log());
    }

    @Override
    public void close() throws InterruptedException {
        Commands.kill(process);
    }

    /** Reads Prometheus text exposition. */
    public static final class Metrics {
        private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*})? ([-+0-9.eE]+|NaN|[+-]Inf)$");

        private Metrics() {
        }

        public static OptionalDouble sum(String exposition, String name, String... labels) {
            double sum = 0;
            boolean any = false;
            for (String line : exposition.split("\n")) {
                Matcher m = SAMPLE.matcher(line);
                if (!m.matches() || !m.group(1).equals(name)) {
                    continue;
                }
                String l = m.group(2) == null ? "" : m.group(2);
                boolean all = true;
                for (String want : labels) {
                    all &= l.contains(want);
                }
                if (all) {
                    sum += Double.parseDouble(m.group(3));
                    any = true;
                }
            }
            return any ? OptionalDouble.of(sum) : OptionalDouble.empty();
        }
    }
}
