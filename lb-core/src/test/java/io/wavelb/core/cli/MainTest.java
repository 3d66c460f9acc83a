package io.wavelb.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.core.admin.AdminServer;
import io.wavelb.core.testing.Commands;
import io.wavelb.core.testing.EchoServer;
import io.wavelb.core.testing.ProcessOutput;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class MainTest {

    @TempDir
    Path dir;

    private record Result(int code, String out, String err) {
    }

    private static Result cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static int freePort() throws IOException {
        return io.wavelb.core.testing.Ports.freeTcpAndUdp();
    }

    private Path write(String name, String yaml) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, yaml);
        return p;
    }

    /** Each test's own state directory: no control socket shared with another wavelb on this host. */
    private String config(int port, String target) throws IOException {
        return """
                admin:
                  listen: 127.0.0.1:%d
                listeners:
                  - name: edge
                    protocol: tcp_udp
                    listen: 127.0.0.1:%d
                    target_group: g
                target_groups:
                  - name: g
                    targets:
                      - address: %s
                runtime:
                  shutdown_grace_period: 2s
                  state_dir: %s
                """.formatted(freePort(), port, target, dir.resolve("state"));
    }

    @Test
    void checkConfigAcceptsTheShippedExample() {
        Result r = cli("check-config", "../config/examples/wavelb.yaml");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("wavelb.yaml: ok");
    }

    @Test
    void checkConfigListsEveryProblemWithItsLocationAndExitsTwo() throws IOException {
        Path bad = write("bad.yaml", """
                listeners:
                  - name: edge
                    protocol: udp
                    listen: 127.0.0.1:70000
                    target_group: nowhere
                    udp:
                      idle_timout: 30s
                target_groups:
                  - name: g
                    targets: []
                """);
        Result r = cli("check-config", bad.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains(bad + ":4:13: listeners[0].listen:")
                .contains(bad + ":5:19: listeners[0].target_group:")
                .contains(bad + ":7:7: listeners[0].udp:")
                .contains("idle_timout");
    }

    @Test
    void checkConfigTakesConfigAsTheOtherCommandsDo() {
        Result r = cli("check-config", "--config", "../config/examples/wavelb.yaml");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("wavelb.yaml: ok");
        assertThat(r.err()).doesNotContain("--config");
    }

    @Test
    void checkConfigOnAMissingFileSaysSo() {
        Result r = cli("check-config", dir.resolve("nope.yaml").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("nope.yaml: no such file");
    }

    @Test
    void runWithAnInvalidConfigStartsNothingAndExitsTwo() throws IOException {
        Path bad = write("bad.yaml", "listeners: [\n");
        Result r = cli("run", "--config", bad.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains(bad.toString() + ":").contains("nothing started");
    }

    @Test
    void unknownCommandAndMissingArgumentsAreUsageErrors() {
        assertThat(cli("frobnicate").code()).isEqualTo(2);
        assertThat(cli("run").code()).isEqualTo(2);
        assertThat(cli().code()).isEqualTo(2);
        Result help = cli("--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).contains("check-config").contains("demo").contains("run --config");
        assertThat(cli("--version").out()).startsWith("wavelb ");
    }

    @Test
    void runReportsAPortInUseInOneLineAndExitsOne() throws IOException {
        try (DatagramSocket holder = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            int port = holder.getLocalPort();
            Path cfg = write("busy.yaml", config(port, "127.0.0.1:9"));
            Result r = cli("run", "--config", cfg.toString());
            assertThat(r.code()).isEqualTo(1);
            assertThat(r.err().strip()).isEqualTo("wavelb: listener 'edge': cannot listen on udp 127.0.0.1:" + port
                    + ": address already in use");
        }
    }

    @Test
    void aListenerThatCannotBindFailsTheRunAfterTheAdminEndpointAndControlSocketStartedAndClosesThem() throws Exception {
        // Held, as the JUL loggers are weakly referenced: the records of the admin endpoint's start.
        java.util.logging.Logger adminLog = java.util.logging.Logger.getLogger(AdminServer.class.getName());
        List<String> logged = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                logged.add(r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        adminLog.addHandler(capture);
        Path state = dir.resolve("state");
        int admin = freePort();
        try (DatagramSocket holder = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            int port = holder.getLocalPort();
            Path cfg = write("busy-late.yaml", """
                    admin:
                      listen: 127.0.0.1:%d
                    runtime:
                      warm_up: 0s
                      state_dir: %s
                    listeners:
                      - name: edge
                        protocol: udp
                        listen: 127.0.0.1:%d
                        target_group: g
                    target_groups:
                      - name: g
                        targets:
                          - address: 127.0.0.1:9
                    """.formatted(admin, state, port));
            Result r = cli("run", "--config", cfg.toString());
            assertThat(r.code()).isEqualTo(1);
            assertThat(r.err().strip()).isEqualTo("wavelb: listener 'edge': cannot listen on udp 127.0.0.1:" + port
                    + ": address already in use");
        } finally {
            adminLog.removeHandler(capture);
        }
        // The listeners bind last: the admin endpoint and the control socket were up by then ...
        assertThat(logged).anyMatch(l -> l.startsWith("admin endpoint on http://127.0.0.1:" + admin));
        assertThat(state).as("the control socket's directory, made when it started").isDirectory();
        // ... and are closed again.
        assertThat(state.resolve("control.sock")).doesNotExist();
        try (ServerSocket again = new ServerSocket(admin, 1, InetAddress.getLoopbackAddress())) {
            assertThat(again.getLocalPort()).as("the admin port is free again").isEqualTo(admin);
        }
    }

    /** {@code wavelb run --config cfg} as its own JVM, stdout and stderr merged. */
    private static Process runProcess(Path cfg) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "io.wavelb.core.cli.Main", "run", "--config", cfg.toString())
                .redirectErrorStream(true).start();
    }

    @Test
    void aProcessStartedWithSighupIgnoredSaysReloadsComeOnlyThroughTheAdminApi() throws Exception {
        try (EchoServer echo = EchoServer.start("e")) {
            Path cfg = write("nohup.yaml", config(freePort(), echo.address()));
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            // As nohup does: SIGHUP ignored before the JVM starts, inherited across exec.
            Process p = new ProcessBuilder("sh", "-c", "trap '' HUP; exec \"$0\" -cp \"$1\" io.wavelb.core.cli.Main run --config \"$2\"",
                    java, System.getProperty("java.class.path"), cfg.toString()).redirectErrorStream(true).start();
            ProcessOutput out = new ProcessOutput(p);
            try {
                assertThat(out.await("SIGHUP is ignored")).contains("POST /v1/reload");
                out.await("listener 'edge' on udp");
            } finally {
                Commands.kill(p);
            }
        }
    }

    @Test
    void sighupReloadsTheFileAndNewFlowsFollowIt() throws Exception {
        try (EchoServer first = EchoServer.start("first"); EchoServer second = EchoServer.start("second")) {
            int port = freePort();
            Path cfg = write("hup.yaml", config(port, first.address()));
            Process p = runProcess(cfg);
            ProcessOutput out = new ProcessOutput(p);
            try (io.wavelb.core.testing.UdpClient before = new io.wavelb.core.testing.UdpClient(
                         new InetSocketAddress("127.0.0.1", port))) {
                out.await("listener 'edge' on udp");
                assertThat(before.target("one")).isEqualTo("first");
                Files.writeString(cfg, config(port, second.address()));
                Commands.signal(p.pid(), "HUP");
                assertThat(out.await("reloaded")).as("the process logged the reload").contains("reloaded");
                try (io.wavelb.core.testing.UdpClient after = new io.wavelb.core.testing.UdpClient(
                        new InetSocketAddress("127.0.0.1", port))) {
                    assertThat(after.target("two")).as("a new flow goes to the new target").isEqualTo("second");
                }
                assertThat(before.target("three")).as("the open flow drains on its old target").isEqualTo("first");
                p.toHandle().destroy();
                assertThat(p.waitFor(15, TimeUnit.SECONDS)).isTrue();
                assertThat(p.exitValue()).isZero();
            } finally {
                Commands.kill(p);
            }
        }
    }

    @Test
    void runServesTrafficAndExitsZeroOnSigterm() throws Exception {
        try (EchoServer echo = EchoServer.start("e")) {
            int port = freePort();
            Path cfg = write("ok.yaml", config(port, echo.address()));
            Process p = runProcess(cfg);
            ProcessOutput out = new ProcessOutput(p);
            try {
                assertThat(out.await("listener 'edge' on udp")).contains("listener 'edge' on udp 127.0.0.1:" + port);
                try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
                    byte[] bytes = "via process".getBytes(StandardCharsets.UTF_8);
                    client.send(new DatagramPacket(bytes, bytes.length, new InetSocketAddress("127.0.0.1", port)));
                    client.setSoTimeout(5000);
                    DatagramPacket reply = new DatagramPacket(new byte[100], 100);
                    client.receive(reply);
                    assertThat(new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8)).isEqualTo("e|via process");
                }
                p.toHandle().destroy(); // SIGTERM, and unlike Process.destroy() keeps our end of stdout open
                assertThat(p.waitFor(15, TimeUnit.SECONDS)).isTrue();
                out.await("stopped");
            } finally {
                Commands.kill(p);
            }
            assertThat(p.exitValue()).as(out.text()).isZero();
        }
    }
}
