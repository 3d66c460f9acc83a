package io.wavelb.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentMainTest {

    @TempDir
    Path dir;

    private record Result(int code, String out, String err) {
    }

    private static Result cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = AgentMain.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void checkConfigAcceptsTheExampleAndListsProblemsOtherwise() throws Exception {
        Result ok = cli("check-config", "../config/examples/agent.yaml");
        assertThat(ok.code()).as(ok.err()).isZero();
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "agent:\n  cluster_id: c\n  dns:\n    ttl: soon\n");
        Result r = cli("check-config", bad.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains(bad + ":2:3: agent: missing required key 'balancer'")
                .contains(bad + ":4:5: agent.dns: missing required key 'hosted_zone_id'")
                .contains(bad + ":4:10: agent.dns.ttl:");
    }

    @Test
    void usageErrorsExitTwoAndHelpListsOnlyWhatIsBuilt() {
        assertThat(cli().code()).isEqualTo(2);
        assertThat(cli("run").code()).isEqualTo(2);
        assertThat(cli("plan", "--config").code()).isEqualTo(2);
        assertThat(cli("check-config").code()).isEqualTo(2);
        Result help = cli("--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).contains("check-config").contains("run --config").contains("plan --config");
    }
}
