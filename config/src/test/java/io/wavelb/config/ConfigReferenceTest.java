package io.wavelb.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The config references cannot drift from the code: every key a binder accepts is documented in a
 * {@code | key | meaning | ...} table, and every key documented there is one a binder accepts.
 */
class ConfigReferenceTest {

    private static final Pattern BACKTICKED = Pattern.compile("`([a-z_][a-z0-9_.]*)`");

    /** The binders of the balancer's sections, each owning the *_KEYS lists of its keys. */
    private static final List<Class<?>> BALANCER_BINDERS = List.of(DocumentBinder.class, AdminBinder.class,
            RuntimeBinder.class, FlowLogBinder.class, ListenerBinder.class, UdpBinder.class, TargetGroupBinder.class,
            HealthCheckBinder.class, OutlierDetectionBinder.class);

    /** All keys in the *_KEYS lists of the binder classes. */
    private static Set<String> keysOf(List<Class<?>> binders, Set<String> skip) throws IllegalAccessException {
        Set<String> keys = new TreeSet<>();
        for (Class<?> binder : binders) {
            for (Field f : binder.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers()) && f.getName().endsWith("_KEYS") && !skip.contains(f.getName())) {
                    f.setAccessible(true);
                    for (Object k : (List<?>) f.get(null)) {
                        keys.add((String) k);
                    }
                }
            }
        }
        return keys;
    }

    /**
     * Key names documented: every segment of the backticked names in the first column of each
     * table whose header starts "| key | meaning", and the sections named by "### `x`" headings.
     */
    private static Set<String> documented(Path readme) throws Exception {
        Set<String> keys = new TreeSet<>();
        boolean inTable = false;
        for (String line : Files.readAllLines(readme)) {
            if (line.startsWith("### `")) {
                Matcher h = BACKTICKED.matcher(line);
                if (h.find()) {
                    keys.add(h.group(1));
                }
            }
            if (line.startsWith("| key | meaning")) {
                inTable = true;
                continue;
            }
            if (!line.startsWith("|")) {
                inTable = false;
                continue;
            }
            if (inTable && !line.startsWith("|---")) {
                String first = line.substring(1, line.indexOf('|', 1));
                Matcher m = BACKTICKED.matcher(first);
                while (m.find()) {
                    keys.addAll(List.of(m.group(1).split("\\.")));
                }
            }
        }
        return keys;
    }

    @Test
    void everyBalancerKeyIsDocumentedAndEveryDocumentedKeyExists() throws Exception {
        Set<String> code = keysOf(BALANCER_BINDERS, Set.of());
        code.remove("agent"); // the agent's section, documented in lb-agent/README.md
        Set<String> docs = documented(Path.of("README.md"));
        assertThat(docs).as("documented in config/README.md but not accepted").isSubsetOf(code);
        assertThat(code).as("accepted but not documented in config/README.md").isSubsetOf(docs);
    }

    @Test
    void everyAgentKeyIsDocumentedAndEveryDocumentedKeyExists() throws Exception {
        Set<String> code = keysOf(List.of(AgentBinder.class), Set.of());
        Set<String> docs = documented(Path.of("../lb-agent/README.md"));
        assertThat(docs).as("documented in lb-agent/README.md but not accepted").isSubsetOf(code);
        assertThat(code).as("accepted but not documented in lb-agent/README.md").isSubsetOf(docs);
    }
}
