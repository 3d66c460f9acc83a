package io.wavelb.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The {@code flow_log:} section: one destination, a format, a sampling share, a bounded queue. */
class FlowLogConfigTest {

    private static WavelbConfig parse(String... lines) throws ConfigException {
        return Yamls.withSection("/etc/wavelb/c.yaml", "flow_log", lines);
    }

    @Test
    void noSectionMeansNoFlowLogs() throws ConfigException {
        WavelbConfig c = Yamls.withSection("c.yaml", "flow_log");
        assertThat(c.flowLog()).isEqualTo(FlowLogConfig.OFF);
        assertThat(c.flowLog().enabled()).isFalse();
    }

    @Test
    void aFileWithTheDefaults() throws ConfigException {
        FlowLogConfig f = parse("path: /var/log/wavelb/flows.log").flowLog();
        assertThat(f.enabled()).isTrue();
        assertThat(f.path()).contains(Path.of("/var/log/wavelb/flows.log"));
        assertThat(f.stdout()).isFalse();
        assertThat(f.format()).isEqualTo(FlowLogConfig.Format.JSON);
        assertThat(f.sample()).isEqualTo(1.0);
        assertThat(f.onStart()).isFalse();
        assertThat(f.queue()).isEqualTo(FlowLogConfig.DEFAULT_QUEUE);
    }

    @Test
    void aRelativePathIsTakenFromTheConfigFilesDirectory() throws ConfigException {
        assertThat(parse("path: flows/f.log").flowLog().path()).contains(Path.of("/etc/wavelb/flows/f.log"));
    }

    @Test
    void stdoutWithEveryKey() throws ConfigException {
        FlowLogConfig f = parse("stdout: true", "format: logfmt", "sample: 0.25", "on_start: true", "queue: 1024")
                .flowLog();
        assertThat(f).isEqualTo(new FlowLogConfig(Optional.empty(), true, FlowLogConfig.Format.LOGFMT, 0.25, true, 1024));
    }

    @Test
    void bothDestinationsAreRefused() {
        assertThatThrownBy(() -> parse("path: /tmp/f.log", "stdout: true"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("c.yaml:3:11: flow_log.stdout: flow_log has both path and stdout: true"
                        + " (expected one destination)");
    }

    @Test
    void noDestinationIsRefused() {
        assertThatThrownBy(() -> parse("format: json"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("c.yaml:2:3: flow_log: flow_log needs a destination: path (a file) or stdout: true");
    }

    @Test
    void aSampleOutOfRangeOrNotANumberIsRefused() {
        assertThatThrownBy(() -> parse("stdout: true", "sample: 0"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("c.yaml:3:11: flow_log.sample: sample 0 is out of range (expected 0 < sample <= 1");
        assertThatThrownBy(() -> parse("stdout: true", "sample: 1.5"))
                .hasMessageContaining("flow_log.sample: sample 1.5 is out of range");
        assertThatThrownBy(() -> parse("stdout: true", "sample: half"))
                .hasMessageContaining("flow_log.sample: 'half' is not a number");
    }

    @Test
    void anUnknownFormatAKnownTypoAndAZeroQueueAreRefused() {
        assertThatThrownBy(() -> parse("stdout: true", "format: jsn"))
                .hasMessageContaining("flow_log.format: 'jsn' is not a format (did you mean 'json'?)");
        assertThatThrownBy(() -> parse("stdout: true", "queue: 0"))
                .hasMessageContaining("flow_log.queue");
        assertThatThrownBy(() -> parse("stdout: true", "sampel: 0.5"))
                .hasMessageContaining("unknown key 'sampel' (did you mean 'sample'?)");
    }

    @Test
    void aPathNamingNoFileIsRefused() {
        assertThatThrownBy(() -> parse("path: /"))
                .hasMessageContaining("flow_log.path: '/' names no file");
    }
}
