package io.wavelb.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * Loads a wavelb YAML config into a validated {@link WavelbConfig}, or fails with a
 * {@link ConfigException} that lists every problem found, each at its {@code file:line:column}.
 */
public final class ConfigLoader {

    /** Files above this size are refused before parsing. */
    public static final int MAX_FILE_BYTES = SafeYamlLoader.MAX_CODE_POINTS;

    /** No heap check: what {@link #load(Path)} and {@link #parse(String, String)} do. */
    public static final long NO_HEAP_LIMIT = Long.MAX_VALUE;

    private ConfigLoader() {
    }

    /**
     * Reads and parses {@code file}. Problems name the file as given (not its absolute path), so
     * messages match what the operator typed.
     *
     * @throws IOException when the file cannot be read at all (missing, unreadable)
     */
    public static WavelbConfig load(Path file) throws ConfigException, IOException {
        return load(file, NO_HEAP_LIMIT);
    }

    /**
     * As {@link #load(Path)}, and a valid config that would not fit {@code maxHeapBytes} (its
     * {@link MemoryEstimate}) is a problem too, at the {@code target_groups} key (or
     * {@code listeners}, when UDP sessions are the larger part). {@code check-config}, {@code run}
     * and reloads pass {@code Runtime.maxMemory()}.
     */
    public static WavelbConfig load(Path file, long maxHeapBytes) throws ConfigException, IOException {
        Objects.requireNonNull(file, "file");
        String name = file.toString();
        byte[] bytes;
        // Read at most one byte past the limit, so a huge or endless file (a FIFO, /dev/zero) costs nothing.
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_FILE_BYTES + 1);
        }
        if (bytes.length > MAX_FILE_BYTES) {
            throw tooLarge(name, "file is larger than " + MAX_FILE_BYTES + " bytes");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            Problems problems = new Problems(name);
            problems.atStart("", "file is not valid UTF-8");
            throw problems.exception();
        }
        return parse(text, name, maxHeapBytes);
    }

    /**
     * Parses YAML text; {@code fileName} labels problems, and its directory (or the current
     * directory, when it names none) is where relative paths in the config are resolved from.
     */
    public static WavelbConfig parse(String yaml, String fileName) throws ConfigException {
        return parse(yaml, fileName, NO_HEAP_LIMIT);
    }

    /** As {@link #parse(String, String)}, with the heap check of {@link #load(Path, long)}. */
    public static WavelbConfig parse(String yaml, String fileName, long maxHeapBytes) throws ConfigException {
        Objects.requireNonNull(yaml, "yaml");
        Objects.requireNonNull(fileName, "fileName");
        if (yaml.length() > MAX_FILE_BYTES) {
            throw tooLarge(fileName, "config is larger than " + MAX_FILE_BYTES + " characters");
        }
        if (yaml.startsWith("\uFEFF")) {
            yaml = yaml.substring(1);
        }
        Node root = SafeYamlLoader.compose(yaml, fileName);
        Problems problems = new Problems(fileName);
        ConfigDraft draft = new DocumentBinder(problems, directoryOf(fileName)).bind(root);
        if (draft != null) {
            new Validator(problems).check(draft);
        }
        if (!problems.isEmpty()) {
            throw problems.exception();
        }
        WavelbConfig config = draft.toConfig();
        MemoryEstimate estimate = MemoryEstimate.of(config);
        Optional<String> refusal = estimate.refusal(maxHeapBytes);
        if (refusal.isPresent()) {
            String key = estimate.sessionsDominate() ? "listeners" : "target_groups";
            Node at = topKey(root, key);
            if (at == null) {
                problems.atStart(key, refusal.get());
            } else {
                problems.at(at, key, refusal.get());
            }
            throw problems.exception();
        }
        return config;
    }

    /** The key node of a top-level entry, or null. */
    private static Node topKey(Node root, String key) {
        if (root instanceof MappingNode map) {
            for (NodeTuple t : map.getValue()) {
                if (t.getKeyNode() instanceof ScalarNode k && k.getValue().equals(key)) {
                    return k;
                }
            }
        }
        return null;
    }

    /** The absolute directory of {@code fileName}: its parent, taken from the current directory. */
    static Path directoryOf(String fileName) {
        Path cwd = Path.of("").toAbsolutePath();
        try {
            Path parent = fileName.isBlank() ? null : Path.of(fileName).getParent();
            return parent == null ? cwd : cwd.resolve(parent).normalize();
        } catch (InvalidPathException e) {
            return cwd;
        }
    }

    static ConfigException tooLarge(String file, String message) {
        Problems problems = new Problems(file);
        problems.atStart("", message);
        return problems.exception();
    }
}
