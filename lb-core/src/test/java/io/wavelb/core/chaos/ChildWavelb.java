package io.wavelb.core.chaos;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
 * wavelb as a real child process ({@code java -cp <test class path> io.wavelb.core.cli.Main run}),
 * as {@code DescriptorExhaustionSystemTest} runs it: its own JVM flags, a log file, the admin
 * endpoint for metrics, SIGTERM to stop.
 */
final class ChildWavelb implements AutoCloseable {

    private final Process process;
    private final Path log;
    private final int adminPort;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private ChildWavelb(Process process, Path log, int adminPort) {
        this.process = process;
        this.log = log;
        this.adminPort = adminPort;
    }

    /** Starts wavelb with {@code yaml} and waits until it logs its listeners. */
    static ChildWavelb start(Path dir, String yaml, int adminPort, List<String> jvmFlags) throws IOException {
        Path cfg = dir.resolve("wavelb.yaml");
        Files.writeString(cfg, yaml);
        Path log = dir.resolve("wavelb.log");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmFlags);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.wavelb.core.cli.Main", "run", "--config",
                cfg.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        ChildWavelb w = new ChildWavelb(p, log, adminPort);
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> !p.isAlive() || w.log().contains("serving")
                    || w.log().contains("listener '"));
            await().atMost(Duration.ofSeconds(10)).until(() -> !p.isAlive() || w.metrics() != null);
        } catch (RuntimeException e) {
            w.close();
            throw e;
        }
        if (!p.isAlive()) {
            throw new IllegalStateException("wavelb exited at start:\n" + w.log());
        }
        return w;
    }

    String log() throws IOException {
        return Files.readString(log);
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** The scrape, or null when the admin endpoint does not answer within 2 s. */
    String metrics() {
        // Bounded as a whole: a stalled process may accept the connection and never answer.
        var response = http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/metrics"))
                .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
        try {
            return response.get(3, TimeUnit.SECONDS).body();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            response.cancel(true);
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The value of the first series whose line starts with {@code series} (name and labels). */
    static OptionalDouble value(String scrape, String series) {
        if (scrape == null) {
            return OptionalDouble.empty();
        }
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " ([-0-9.eE+]+|NaN)$").matcher(scrape);
        return m.find() ? OptionalDouble.of(Double.parseDouble(m.group(1))) : OptionalDouble.empty();
    }

    /** Sends SIGTERM and waits up to {@code within}; true when the process exited in time. */
    boolean terminate(Duration within) throws InterruptedException {
        process.destroy();
        return process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
