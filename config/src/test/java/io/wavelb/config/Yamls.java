package io.wavelb.config;

import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import java.util.List;

/** Test helpers: load a YAML string and get its problems as the CLI would print them. */
final class Yamls {

    static final String FILE = "cfg.yaml";

    /** A small valid config the error tests edit; line numbers in the tests refer to it. */
    static final String VALID = """
            admin:
              listen: 127.0.0.1:9901
            listeners:
              - name: media
                protocol: udp
                listen: 0.0.0.0:7000
                target_group: media
                udp:
                  idle_timeout: 120s
              - name: control
                protocol: tcp
                listen: 0.0.0.0:7443
                target_group: control
            target_groups:
              - name: media
                targets:
                  - address: 10.0.1.10:7000
              - name: control
                algorithm: least_connections
                targets:
                  - address: 10.0.1.10:8443
            """;

    private Yamls() {
    }

    static WavelbConfig parse(String yaml) throws ConfigException {
        return ConfigLoader.parse(yaml, FILE);
    }

    /** The formatted problems of a config that must fail to load. */
    static List<String> problems(String yaml) {
        return assertThatExceptionOfType(ConfigException.class)
                .isThrownBy(() -> parse(yaml))
                .actual()
                .problems().stream().map(Problem::format).toList();
    }

    /**
     * A minimal config (one UDP listener, one target) whose {@code runtime:} section is the one line
     * {@code runtimeLine}, on line 2 of {@code file}: for the tests of one runtime key each.
     */
    static WavelbConfig withRuntimeLine(String runtimeLine, String file) throws ConfigException {
        return withSection(file, "runtime", runtimeLine);
    }

    /**
     * A minimal config (one UDP listener, one target) that starts with the top-level {@code section}
     * holding {@code lines}, one key each from line 2 of {@code file}; no lines: no section at all.
     */
    static WavelbConfig withSection(String file, String section, String... lines) throws ConfigException {
        StringBuilder yaml = new StringBuilder();
        if (lines.length > 0) {
            yaml.append(section).append(":\n");
            for (String line : lines) {
                yaml.append("  ").append(line).append('\n');
            }
        }
        return ConfigLoader.parse(yaml + """
                listeners:
                  - name: web
                    protocol: udp
                    listen: 127.0.0.1:8080
                    target_group: g
                target_groups:
                  - name: g
                    targets:
                      - address: 127.0.0.1:9000
                """, file);
    }

    /** {@link #VALID} with one exact piece of text replaced; fails if the piece is not there once. */
    static String validWith(String from, String to) {
        int at = VALID.indexOf(from);
        if (at < 0 || VALID.indexOf(from, at + 1) >= 0) {
            throw new IllegalArgumentException("not exactly once in VALID: " + from);
        }
        return VALID.substring(0, at) + to + VALID.substring(at + from.length());
    }
}
