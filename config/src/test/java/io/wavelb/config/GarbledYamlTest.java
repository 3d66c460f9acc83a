package io.wavelb.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Feeds seeded, garbled variants of real configs to the loader. Whatever the input, the loader
 * returns a config or throws {@link ConfigException} with located problems; nothing else escapes.
 * Seeded so a failure reproduces; the failing input is printed.
 */
class GarbledYamlTest {

    private static final long SEED = 0x5EED_C0F1_6L;
    private static final int TRIES = 3_000;
    /** Characters that mean something to YAML, plus some that should never appear. */
    private static final String ALPHABET = ":-[]{}&*!|>'\"#%@`,?\t\n \\0123456789abcxyz.\u0000\u00e9\uFEFF";

    @Test
    void garbledConfigsOnlyEverLoadOrReportProblems() throws Exception {
        List<String> seeds = List.of(Yamls.VALID, Files.readString(Path.of("examples/wavelb.yaml")),
                Files.readString(Path.of("examples/local.yaml")));
        Random random = new Random(SEED);
        int loaded = 0;
        for (int i = 0; i < TRIES; i++) {
            String yaml = garble(seeds.get(random.nextInt(seeds.size())), random);
            if (loadsOrReportsLocatedProblems(yaml)) {
                loaded++;
            }
        }
        // Some mutations land in comments or keep the file valid; most must not.
        assertThat(loaded).isBetween(1, TRIES - 1);
    }

    @Test
    void randomTextOnlyEverReportsProblems() {
        Random random = new Random(SEED + 1);
        for (int i = 0; i < TRIES; i++) {
            StringBuilder text = new StringBuilder();
            int length = random.nextInt(200);
            for (int j = 0; j < length; j++) {
                text.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
            }
            loadsOrReportsLocatedProblems(text.toString());
        }
    }

    private static boolean loadsOrReportsLocatedProblems(String yaml) {
        try {
            ConfigLoader.parse(yaml, "fuzz.yaml");
            return true;
        } catch (ConfigException e) {
            assertThat(e.problems()).isNotEmpty().allSatisfy(p -> {
                assertThat(p.file()).isEqualTo("fuzz.yaml");
                assertThat(p.line()).isPositive();
                assertThat(p.column()).isPositive();
            });
            return false;
        } catch (Throwable t) {
            return fail("loader threw " + t + " for input:\n" + yaml, t);
        }
    }

    private static String garble(String yaml, Random random) {
        List<String> lines = new ArrayList<>(List.of(yaml.split("\n", -1)));
        int edits = 1 + random.nextInt(4);
        for (int e = 0; e < edits && !lines.isEmpty(); e++) {
            int at = random.nextInt(lines.size());
            String line = lines.get(at);
            switch (random.nextInt(7)) {
                case 0 -> lines.remove(at);
                case 1 -> lines.add(at, line);
                case 2 -> Collections.swap(lines, at, random.nextInt(lines.size()));
                case 3 -> lines.set(at, line.substring(0, random.nextInt(line.length() + 1)));
                case 4 -> lines.set(at, " ".repeat(random.nextInt(4)) + line);
                case 5 -> lines.set(at, line.replaceFirst("[0-9]+", String.valueOf(random.nextLong())));
                default -> {
                    int pos = random.nextInt(line.length() + 1);
                    char c = ALPHABET.charAt(random.nextInt(ALPHABET.length()));
                    lines.set(at, line.substring(0, pos) + c + line.substring(pos));
                }
            }
        }
        return String.join("\n", lines);
    }
}
