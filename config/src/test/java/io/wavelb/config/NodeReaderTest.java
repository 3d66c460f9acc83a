package io.wavelb.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;

/** The schema-free reads every binder shares: a wrong value is a located problem and a null, never an exception. */
class NodeReaderTest {

    private final Problems problems = new Problems("r.yaml");
    private final NodeReader reader = new NodeReader(problems);

    private Map<String, NodeTuple> fields(String yaml, String... keys) throws ConfigException {
        Node root = SafeYamlLoader.compose(yaml, "r.yaml");
        return reader.fields((MappingNode) root, "", List.of(keys));
    }

    private List<String> reported() {
        return problems.sorted().stream().map(Problem::format).toList();
    }

    @Test
    void parsedReturnsTheParsersValue() throws Exception {
        Node node = NodeReader.value(fields("size: 2MiB\n", "size"), "size");
        assertThat(reader.parsed(node, "size", "a size", ByteSizes::parse)).isEqualTo(2L << 20);
        assertThat(reported()).isEmpty();
    }

    @Test
    void parsedReportsTheParsersRefusalAtTheValue() throws Exception {
        Node node = NodeReader.value(fields("a: 1\nwait: soon\n", "a", "wait"), "wait");
        Duration d = reader.parsed(node, "x.wait", "a duration", Durations::parse);
        assertThat(d).isNull();
        assertThat(reported()).singleElement().asString().startsWith("r.yaml:2:7: x.wait: ");
    }

    @Test
    void parsedWordsTheProblemWithTheTextWhenAsked() throws Exception {
        Node node = NodeReader.value(fields("id: 0xZZ\n", "id"), "id");
        assertThat(reader.parsed(node, "id", "hex", HexBytes::parse, (text, refusal) -> "'" + text + "' is not hex"))
                .isNull();
        assertThat(reported()).containsExactly("r.yaml:1:5: id: '0xZZ' is not hex");
    }

    @Test
    void parsedReportsATypeProblemWithoutCallingTheParser() throws Exception {
        Node node = NodeReader.value(fields("size: [1, 2]\n", "size"), "size");
        Object value = reader.parsed(node, "size", "a size such as 512MiB", text -> {
            throw new AssertionError("parser called on a list");
        });
        assertThat(value).isNull();
        assertThat(reported()).containsExactly("r.yaml:1:7: size: expected a size such as 512MiB, got a list");
    }

    @Test
    void unknownAndDuplicateKeysAreReportedAtTheKeyAndLeftOut() throws Exception {
        Map<String, NodeTuple> f = fields("port: 1\nprot: 2\nport: 3\n", "port");
        assertThat(f).containsOnlyKeys("port");
        assertThat(reported()).containsExactly(
                "r.yaml:2:1: unknown key 'prot' (did you mean 'port'?)",
                "r.yaml:3:1: duplicate key 'port' (first at line 1, column 1)");
    }

    @Test
    void theTokenFileRuleIsSharedByTheAdminAndAgentSections() throws Exception {
        AdminBinder admin = new AdminBinder(reader, Path.of("/etc/wavelb"));
        Map<String, NodeTuple> f = fields("good: t/admin.token\nblank: \" \"\n", "good", "blank");
        assertThat(admin.tokenFile(NodeReader.value(f, "good"), "admin.token_file"))
                .isEqualTo(Optional.of(Path.of("/etc/wavelb/t/admin.token")));
        assertThat(admin.tokenFile(NodeReader.value(f, "blank"), "agent.balancer.token_file")).isEmpty();
        assertThat(reported()).singleElement().asString()
                .startsWith("r.yaml:2:8: agent.balancer.token_file: token_file is empty");
    }
}
