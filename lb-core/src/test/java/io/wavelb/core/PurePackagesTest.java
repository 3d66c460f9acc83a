package io.wavelb.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The pure packages (STYLE.md rule 1) are plain Java so they are tested without sockets: they
 * reference no Netty and no AWS SDK type, imported or fully qualified. Paths are relative to the
 * lb-core module directory, where surefire runs.
 */
class PurePackagesTest {

    /** Source roots of the pure packages; add a package here in one line. */
    static final List<PureSource> PURE = List.of(
            PureSource.required("src/main/java/io/wavelb/core/balance"),
            PureSource.required("src/main/java/io/wavelb/core/session"),
            PureSource.required("src/main/java/io/wavelb/core/quic"),
            PureSource.required("src/main/java/io/wavelb/core/stun"),
            PureSource.required("src/main/java/io/wavelb/core/proxy"),
            PureSource.required("src/main/java/io/wavelb/core/reload"),
            PureSource.required("src/main/java/io/wavelb/core/health/state"),
            PureSource.required("src/main/java/io/wavelb/core/overload"),
            PureSource.required("src/main/java/io/wavelb/core/liveness"),
            PureSource.required("src/main/java/io/wavelb/core/affinity"),
            PureSource.required("src/main/java/io/wavelb/core/transparent"),
            PureSource.required("src/main/java/io/wavelb/core/flowlog"),
            PureSource.required("src/main/java/io/wavelb/core/linux"),
            PureSource.required("../config/src/main/java"));

    private static final Pattern FORBIDDEN = Pattern.compile("\\b(io\\.netty|software\\.amazon)\\.");
    // Comments and string literals may name the forbidden packages (e.g. to explain the rule).
    private static final Pattern COMMENTS_AND_STRINGS =
            Pattern.compile("/\\*.*?\\*/|//[^\\n]*|\"(?:\\\\.|[^\"\\\\\\n])*\"", Pattern.DOTALL);

    record PureSource(Path dir, boolean mustExist) {
        static PureSource required(String dir) {
            return new PureSource(Path.of(dir), true);
        }

        static PureSource optional(String dir) {
            return new PureSource(Path.of(dir), false);
        }
    }

    @Test
    void purePackagesReferenceNeitherNettyNorAws() {
        List<String> violations = new ArrayList<>();
        int scanned = 0;
        for (PureSource source : PURE) {
            if (!Files.isDirectory(source.dir())) {
                assertThat(source.mustExist())
                        .as("pure source directory %s is missing (cwd %s)", source.dir(), Path.of("").toAbsolutePath())
                        .isFalse();
                continue;
            }
            for (Path file : javaFiles(source.dir())) {
                scanned++;
                violations.addAll(violationsIn(file));
            }
        }
        assertThat(scanned).as("java files scanned").isPositive();
        assertThat(violations).as("Netty/AWS references in pure packages").isEmpty();
    }

    @Test
    void detectsImportsAndQualifiedNamesButNotComments() {
        String source = """
                package x;
                import io.netty.buffer.ByteBuf;
                import static software.amazon.awssdk.regions.Region.EU_WEST_1;
                /** Imports no io.netty.* on purpose. */
                class A { // not software.amazon. either
                    String s = "io.netty.fine";
                    io.netty.channel.Channel c;
                }
                """;
        assertThat(forbiddenLines(source)).containsExactly(2, 3, 7);
    }

    private static List<Path> javaFiles(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> violationsIn(Path file) {
        try {
            String source = Files.readString(file);
            List<String> lines = source.lines().toList();
            return forbiddenLines(source).stream()
                    .map(line -> file + ":" + line + ": " + lines.get(line - 1).strip())
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** 1-based line numbers that reference a forbidden package outside comments and strings. */
    static List<Integer> forbiddenLines(String source) {
        // Blank out comments and strings but keep their newlines, so line numbers stay right.
        Matcher m = COMMENTS_AND_STRINGS.matcher(source);
        StringBuilder code = new StringBuilder(source.length());
        while (m.find()) {
            m.appendReplacement(code, Matcher.quoteReplacement(m.group().replaceAll("[^\\n]", " ")));
        }
        m.appendTail(code);
        List<Integer> result = new ArrayList<>();
        List<String> lines = code.toString().lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (FORBIDDEN.matcher(lines.get(i)).find()) {
                result.add(i + 1);
            }
        }
        return result;
    }
}
