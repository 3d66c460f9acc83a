package io.wavelb.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;

/** The {@code admin:} section, and the token file path rule the agent's {@code balancer.token_file} shares. */
final class AdminBinder {

    static final List<String> ADMIN_KEYS = List.of("listen", "token_file");

    /** The section read, and the node of {@code listen} (for the cross-check against listeners), or null. */
    record Bound(AdminConfig admin, Node listenNode) {
    }

    private final NodeReader reader;
    /** Relative paths (token_file) are resolved against this directory: the config file's. */
    private final Path baseDirectory;

    AdminBinder(NodeReader reader, Path baseDirectory) {
        this.reader = reader;
        this.baseDirectory = baseDirectory;
    }

    /** {@code map} null (no section, or an empty one) means the defaults. */
    Bound bind(MappingNode map) {
        if (map == null) {
            return new Bound(AdminConfig.DEFAULTS, null);
        }
        Map<String, NodeTuple> f = reader.fields(map, "admin", ADMIN_KEYS);
        Node listen = NodeReader.value(f, "listen");
        HostPort address = listen == null ? null : reader.hostPort(listen, "admin.listen");
        Node tokenNode = NodeReader.value(f, "token_file");
        Optional<Path> tokenFile = tokenNode == null ? Optional.empty() : tokenFile(tokenNode, "admin.token_file");
        return new Bound(new AdminConfig(address == null ? AdminConfig.DEFAULTS.listen() : address, tokenFile),
                address == null ? null : listen);
    }

    /**
     * Where the admin token is read from. Not opened here: the admin endpoint reads it (and may
     * re-read it), and {@code parse} must not depend on the file system. A relative path is taken
     * from the config file's directory, so the config means the same whatever the working directory.
     */
    Optional<Path> tokenFile(Node node, String path) {
        Path file = reader.parsed(node, path, "a file path", AdminBinder::path, (text, refusal) ->
                refusal instanceof InvalidPathException invalid
                        ? "'" + text + "' is not a valid path (" + invalid.getReason() + ")"
                        : refusal.getMessage());
        return file == null ? Optional.empty() : Optional.of(baseDirectory.resolve(file).normalize());
    }

    private static Path path(String text) {
        if (text.isBlank()) {
            throw new IllegalArgumentException("token_file is empty (expected the path of a file holding the admin "
                    + "token; remove the key to refuse mutating admin calls)");
        }
        return Path.of(text);
    }
}
