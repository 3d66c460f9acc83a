package io.wavelb.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The agent's decisions (DNS plans, reconcile rules) import neither the AWS SDK nor Netty. */
class PurePackagesTest {

    static final List<String> PURE = List.of("src/main/java/io/wavelb/agent/dns", "src/main/java/io/wavelb/agent/reconcile",
            "src/main/java/io/wavelb/agent/discovery");
    static final Pattern IMPORT = Pattern.compile("^import\\s+(static\\s+)?(software\\.amazon|io\\.netty)\\.", Pattern.MULTILINE);
    /** A fully qualified use in code (not in a comment) slips past an import check. */
    static final Pattern QUALIFIED = Pattern.compile("^(?!\\s*(//|\\*|/\\*)).*\\b(software\\.amazon|io\\.netty)\\.", Pattern.MULTILINE);

    @Test
    void pureDecisionCodeImportsNoSdkAndNoNetty() throws IOException {
        List<String> offenders = new ArrayList<>();
        for (String dir : PURE) {
            Path root = Path.of(dir);
            assertThat(root).as(dir).isDirectory();
            try (Stream<Path> files = Files.walk(root)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    String text = Files.readString(f);
                    if (IMPORT.matcher(text).find() || QUALIFIED.matcher(text).find()) {
                        offenders.add(f.toString());
                    }
                }
            }
        }
        assertThat(offenders).isEmpty();
    }

    @Test
    void theCheckWouldCatchAnSdkImport() {
        assertThat(IMPORT.matcher("package x;\nimport software.amazon.awssdk.services.route53.Route53Client;\n").find()).isTrue();
        assertThat(QUALIFIED.matcher("class X { software.amazon.awssdk.core.SdkBytes b; }\n").find()).isTrue();
        assertThat(QUALIFIED.matcher(" * mirrors software.amazon.awssdk's model\n").find()).as("comments are fine").isFalse();
    }
}
