package io.wavelb.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@code runtime.state_dir}: where the takeover control socket lives. */
class StateDirConfigTest {

    private static WavelbConfig parse(String runtimeLine) throws ConfigException {
        return Yamls.withRuntimeLine(runtimeLine, "c.yaml");
    }

    @Test
    void defaultsToRunWavelbAndIsRead() throws ConfigException {
        assertThat(parse("event_loops: 1").runtime().stateDir()).isEqualTo(Path.of("/run/wavelb"));
        WavelbConfig c = parse("state_dir: /var/lib/wavelb/state/");
        assertThat(c.runtime().stateDir()).isEqualTo(Path.of("/var/lib/wavelb/state"));
        assertThat(c.runtime().controlSocket()).isEqualTo(Path.of("/var/lib/wavelb/state/control.sock"));
    }

    @Test
    void aRelativePathIsRefusedWithThePlace() {
        assertThatThrownBy(() -> parse("state_dir: run/wavelb"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("c.yaml:2:14: runtime.state_dir: 'run/wavelb' is relative (expected an absolute directory path");
    }

    @Test
    void aPathTooLongForAUnixSocketIsRefused() {
        String longDir = "/" + "d".repeat(100);
        assertThatThrownBy(() -> parse("state_dir: " + longDir))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("is too long: the control socket's path would be 114 bytes, over the 107");
    }
}
