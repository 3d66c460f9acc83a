package io.wavelb.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Loads the agent's config: the {@code agent:} section of a file, alone or beside the balancer's
 * sections, with the same safe YAML loading and located problems as the balancer's.
 */
public final class AgentConfigLoader {

    private AgentConfigLoader() {
    }

    public static AgentConfig load(Path file) throws ConfigException, IOException {
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length > ConfigLoader.MAX_FILE_BYTES) {
            throw ConfigLoader.tooLarge(file.toString(), "config is larger than " + ConfigLoader.MAX_FILE_BYTES + " bytes");
        }
        return parse(new String(bytes, StandardCharsets.UTF_8), file.toString());
    }

    public static AgentConfig parse(String yaml, String fileName) throws ConfigException {
        Objects.requireNonNull(yaml, "yaml");
        if (yaml.startsWith("\uFEFF")) {
            yaml = yaml.substring(1);
        }
        Node root = SafeYamlLoader.compose(yaml, fileName);
        Problems problems = new Problems(fileName);
        AgentConfig config = new AgentBinder(problems, ConfigLoader.directoryOf(fileName)).bind(root);
        if (!problems.isEmpty() || config == null) {
            throw problems.isEmpty() ? new ConfigException(List.of(new Problem(fileName, 1, 1, "agent",
                    "incomplete agent section"))) : problems.exception();
        }
        return config;
    }
}
