package io.wavelb.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class QuicCidCommandTest {

    private static final String CONFIG = "../config/examples/quic-local.yaml";
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void mintedIdsDecodeToTheirTarget() {
        assertThat(run("quic-cid", "--config", CONFIG, "--listener", "quic", "mint", "--server-id", "0x0003", "--count", "3"))
                .isZero();
        String[] ids = out().strip().split("\n");
        assertThat(ids).hasSize(3).allSatisfy(id -> assertThat(id).matches("080003[0-9a-f]{12}"));
        out.reset();
        assertThat(run("quic-cid", "--config", CONFIG, "--listener", "quic", "decode", ids[0])).isZero();
        assertThat(out()).isEqualTo("route cid: server_id 0x0003 -> target 127.0.0.1:9003\n");
    }

    @Test
    void otherIdsAreExplained() {
        run("quic-cid", "--config", CONFIG, "--listener", "quic", "decode", "e8000212345678abcd");
        run("quic-cid", "--config", CONFIG, "--listener", "quic", "decode", "08000912345678abcd");
        run("quic-cid", "--config", CONFIG, "--listener", "quic", "decode", "2800021234567890");
        assertThat(out()).isEqualTo("""
                route unroutable: config bits 0b111, balanced by the 5-tuple
                route unknown_server_id: server_id 0x0009 is no target's in group 'edge'; balanced by the 5-tuple
                route fallback: 8 bytes, shorter than this listener's 9-byte IDs; balanced by the 5-tuple
                """);
    }

    @Test
    void misuseIsAUsageErrorNamingWhatIsWrong() {
        assertThat(run("quic-cid", "--config", CONFIG, "--listener", "webrtc", "decode", "08")).isEqualTo(Main.USAGE);
        assertThat(run("quic-cid", "--config", CONFIG, "--listener", "nope", "decode", "08")).isEqualTo(Main.USAGE);
        assertThat(run("quic-cid", "--config", CONFIG, "--listener", "quic", "mint", "--server-id", "02")).isEqualTo(Main.USAGE);
        assertThat(run("quic-cid", "--config", CONFIG, "--listener", "quic", "decode", "xyz")).isEqualTo(Main.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("listener 'webrtc' has affinity stun, not quic")
                .contains("has no listener 'nope' (listeners: quic, webrtc, api)")
                .contains("server ID 02 has 1 bytes; this listener's have 2")
                .contains("'xyz' is not hex");
    }
}
