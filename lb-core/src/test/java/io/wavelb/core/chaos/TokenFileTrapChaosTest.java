package io.wavelb.core.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.core.testing.Commands;
import io.wavelb.core.testing.EchoServer;
import io.wavelb.core.testing.Ports;
import io.wavelb.core.testing.WavelbProcess;
import java.io.RandomAccessFile;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reloads, by SIGHUP and by POST /v1/reload, into a config whose {@code admin.token_file} is a
 * trap: {@code /dev/zero} (endless), a FIFO (blocks until a writer comes), a 200 MB file (more
 * than the heap). Each is refused with a log line naming the file and why; the running config
 * and token stay, the process lives, and SIGTERM still stops it.
 */
@Tag("chaos")
@Timeout(150)
class TokenFileTrapChaosTest {

    @TempDir
    Path dir;

    @Test
    void aReloadIntoATrapTokenFileIsRefusedAndEverythingRunningStays() throws Exception {
        int port = Ports.freeTcpAndUdp();
        int admin = Ports.freeTcpAndUdp();
        Path first = dir.resolve("first.token");
        Files.writeString(first, "first\n");
        Path fifo = dir.resolve("token.fifo");
        Commands.check(List.of("mkfifo", fifo.toString()), 10);
        Path huge = dir.resolve("huge.token");
        try (RandomAccessFile f = new RandomAccessFile(huge.toFile(), "rw")) {
            f.setLength(200L * 1024 * 1024); // sparse: costs no disk
        }
        try (EchoServer e = EchoServer.start("e"); EchoServer extra = EchoServer.start("x")) {
            String base = Chaos.config(admin, port, e, "");
            try (WavelbProcess w = WavelbProcess.start(dir, WavelbProcess.Spec.of(
                    AdminFloodChaosTest.withToken(base, admin, first), admin).jvm("-Xmx128m"))) {
                // Each reload would also add a target: if anything of it were applied, /v1/targets would show it.
                // SIGHUP reloads once the command has installed its handler, after the listeners are logged.
                long started = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (!w.log().contains("listener 'edge' on") && System.nanoTime() < started) {
                    Thread.sleep(50);
                }
                Thread.sleep(200);
                String withExtra = base.replace("      - address: " + e.address() + "\n",
                        "      - address: " + e.address() + "\n      - address: " + extra.address() + "\n");
                for (Path trap : List.of(Path.of("/dev/zero"), fifo, huge)) {
                    Files.writeString(w.configFile(), AdminFloodChaosTest.withToken(withExtra, admin, trap));
                    int before = count(w.log(), "admin.token_file " + trap + ": ");
                    w.signal("HUP");
                    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                    while (count(w.log(), "admin.token_file " + trap + ": ") == before && System.nanoTime() < deadline
                            && w.isAlive()) {
                        Thread.sleep(100);
                    }
                    assertThat(w.log()).as("SIGHUP into %s", trap)
                            .contains("reload failed; the running config stays: admin.token_file " + trap + ": ");
                    HttpResponse<String> post = reload(w, "first");
                    assertThat(post).as("POST /v1/reload into %s; %s", trap, w.logTail()).isNotNull();
                    assertThat(post.statusCode()).as("the old token still opens the door; %s", post.body()).isEqualTo(500);
                    assertThat(post.body()).contains("admin.token_file " + trap + ": ");
                    assertThat(w.isAlive()).as(w.logTail()).isTrue();
                    assertThat(w.status("/healthz")).isEqualTo(200);
                    assertThat(targets(w)).as("the running config stays").isEqualTo(1);
                }
                assertThat(w.log()).contains("admin.token_file /dev/zero: not a regular file (a character device)")
                        .contains("admin.token_file " + fifo + ": not a regular file (a FIFO")
                        .contains("admin.token_file " + huge + ": too large: 209715200 bytes");

                // A good reload with a new token file: applied whole, and the new token takes over.
                Path second = dir.resolve("second.token");
                Files.writeString(second, "second\n");
                Files.writeString(w.configFile(), AdminFloodChaosTest.withToken(withExtra, admin, second));
                assertThat(reload(w, "first").statusCode()).isEqualTo(200);
                assertThat(targets(w)).isEqualTo(2);
                assertThat(reload(w, "first").statusCode()).isEqualTo(401);
                assertThat(reload(w, "second").statusCode()).isEqualTo(200);
                assertThat(w.stop(Chaos.STOP_LIMIT)).as(w.logTail()).isZero();
            }
        }
    }

    private static HttpResponse<String> reload(WavelbProcess w, String token) {
        return w.send(HttpRequest.newBuilder(w.admin("/v1/reload")).timeout(Duration.ofSeconds(15))
                .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody()).build());
    }

    private static int targets(WavelbProcess w) {
        HttpResponse<String> r = w.get("/v1/targets");
        assertThat(r).isNotNull();
        return count(r.body(), "\"address\":");
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }
}
