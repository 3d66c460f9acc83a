package io.wavelb.agent.testing;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A real moto server (the third-party AWS emulator) on a free loopback port, installed by
 * {@code lb-agent/scripts/moto.sh} on first use (cached outside the repository).
 */
public final class MotoServer implements AutoCloseable {

    private final Process process;
    private final int port;

    private MotoServer(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    public static MotoServer start() throws Exception {
        String home = install();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ProcessBuilder pb = new ProcessBuilder("/usr/bin/python3", "-S", "-m", "moto.server", "-H", "127.0.0.1", "-p",
                Integer.toString(port)).redirectErrorStream(true)
                .redirectOutput(Path.of(System.getProperty("java.io.tmpdir"), "moto-" + port + ".log").toFile());
        pb.environment().put("PYTHONPATH", home + "/usr/lib/python3/dist-packages");
        MotoServer moto = new MotoServer(pb.start(), port);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!moto.answers()) {
                if (!moto.process.isAlive() || System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("moto did not start on port " + port);
                }
                Thread.sleep(100);
            }
        } catch (Throwable notUp) {
            // Also when the test's @Timeout interrupts the wait: the caller never gets moto to close.
            moto.close();
            throw notUp;
        }
        return moto;
    }

    /**
     * Runs {@code scripts/moto.sh} and returns the folder it printed. Its output goes to files, not
     * pipes: a pipe read cannot be interrupted, and reading stdout to its end before stderr blocks
     * for good once the script fills the stderr pipe (apt-get's output goes there). The install
     * downloads packages on first use, hence the generous bound; past it the script is killed.
     */
    private static String install() throws Exception {
        Path out = Files.createTempFile("moto-install", ".out");
        Path err = Files.createTempFile("moto-install", ".err");
        try {
            Process install = new ProcessBuilder("bash", "scripts/moto.sh")
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            try {
                if (!install.waitFor(10, TimeUnit.MINUTES)) {
                    throw new IllegalStateException("installing moto: still running after 10 min:\n"
                            + Files.readString(err, StandardCharsets.UTF_8));
                }
            } finally {
                // A no-op once it ended by itself; otherwise it and what it started (apt-get) go.
                install.descendants().forEach(ProcessHandle::destroyForcibly);
                install.destroyForcibly();
            }
            if (install.exitValue() != 0) {
                throw new IllegalStateException("installing moto failed:\n" + Files.readString(err, StandardCharsets.UTF_8));
            }
            return Files.readString(out, StandardCharsets.UTF_8).strip();
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private boolean answers() {
        try {
            HttpURLConnection c = (HttpURLConnection) endpoint().resolve("/moto-api/").toURL().openConnection();
            c.setConnectTimeout(500);
            c.setReadTimeout(2000);
            return c.getResponseCode() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The Cloud Map and Route 53 world the agent tests share: hosted zone {@code example.com},
     * HTTP namespace {@code edge.local} with services {@code wavelb} and {@code media-servers}
     * (custom health). Returns the hosted zone id.
     */
    public String edgeWorld(software.amazon.awssdk.services.route53.Route53Client r53,
                            software.amazon.awssdk.services.servicediscovery.ServiceDiscoveryClient sd) {
        String ref = "wavelb-" + System.nanoTime();
        String zoneId = r53.createHostedZone(r -> r.name("example.com").callerReference(ref)).hostedZone().id();
        String op = sd.createHttpNamespace(r -> r.name("edge.local").creatorRequestId(ref)).operationId();
        String nsId = sd.getOperation(r -> r.operationId(op)).operation().targets().values().iterator().next();
        for (String service : java.util.List.of("wavelb", "media-servers")) {
            sd.createService(r -> r.name(service).namespaceId(nsId).healthCheckCustomConfig(h -> h.failureThreshold(1)));
        }
        return zoneId;
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
