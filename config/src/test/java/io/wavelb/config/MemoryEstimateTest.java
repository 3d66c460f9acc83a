package io.wavelb.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemoryEstimateTest {

    private static final long MIB = 1L << 20;

    private static TargetGroupConfig group(String name, Algorithm algorithm, int targets, int tableSize) {
        List<TargetConfig> list = new ArrayList<>();
        for (int i = 0; i < targets; i++) {
            list.add(TargetConfig.of(new HostPort("10.0." + (i / 250) + "." + (i % 250 + 1), 7000)));
        }
        return new TargetGroupConfig(name, algorithm, list, tableSize);
    }

    private static ListenerConfig listener(String name, Protocol protocol, int maxSessions) {
        return new ListenerConfig(name, protocol, new HostPort("127.0.0.1", 7000), "g0",
                new UdpSettings(Duration.ofSeconds(30), maxSessions, 2048), TcpSettings.DEFAULTS);
    }

    private static WavelbConfig config(List<ListenerConfig> listeners, List<TargetGroupConfig> groups) {
        return new WavelbConfig(AdminConfig.DEFAULTS, RuntimeSettings.DEFAULTS, listeners, groups);
    }

    @Test
    void addsUpTargetsMaglevSlotsAndUdpSessions() {
        MemoryEstimate e = MemoryEstimate.of(config(
                List.of(listener("a", Protocol.UDP, 1000), listener("b", Protocol.TCP_UDP, 500), listener("c", Protocol.TCP, 9)),
                List.of(group("g0", Algorithm.MAGLEV, 10, 65537), group("g1", Algorithm.ROUND_ROBIN, 5, 65537),
                        group("g2", Algorithm.SOURCE_IP, 1, 1009))));

        assertThat(e).isEqualTo(new MemoryEstimate(16, 3, 65537 + 1009, 2, 1500, 2));
        assertThat(e.totalBytes()).isEqualTo(MemoryEstimate.BASE_BYTES + 16 * 6 * 1024 + (65537 + 1009) * 8L + 1500 * 488L);
        assertThat(e.heapNeeded()).isEqualTo(Math.ceilDiv(e.totalBytes() * 100, 75));
    }

    @Test
    void threeGroupsOf40000TargetsDoNotFit512MiBAndTheMessageHasTheFigures() {
        List<TargetGroupConfig> groups = new ArrayList<>();
        for (int g = 0; g < 3; g++) {
            groups.add(group("g" + g, Algorithm.MAGLEV, 40_000, 4_000_037));
        }
        MemoryEstimate e = MemoryEstimate.of(config(List.of(listener("a", Protocol.UDP, 100_000)), groups));

        assertThat(e.refusal(512 * MIB)).hasValueSatisfying(m -> assertThat(m)
                .startsWith("needs ~")
                .contains("120000 targets in 3 group(s) ~704 MiB")
                .contains("Maglev tables ~92 MiB (3 table(s), 12000111 slots")
                .contains("UDP sessions ~47 MiB (max_sessions 100000 over 1 listener(s)")
                .contains("the JVM has 512 MiB of heap (-Xmx)")
                .contains("raise -Xmx to at least 1.1 GiB")
                .endsWith("or lower targets, maglev_table_size or udp.max_sessions"));
        assertThat(e.refusal(2L << 30)).as("fits 2 GiB").isEmpty();
    }

    @Test
    void aTypicalConfigFitsTheDefault512MiB() {
        MemoryEstimate e = MemoryEstimate.of(config(
                List.of(listener("a", Protocol.UDP, 100_000), listener("b", Protocol.TCP_UDP, 100_000)),
                List.of(group("g0", Algorithm.MAGLEV, 50, 65537))));

        assertThat(e.refusal(512 * MIB)).isEmpty();
        assertThat(e.heapNeeded()).isLessThan(256 * MIB);
    }

    @Test
    void sessionCapsTooLargeForTheHeapPointAtTheListeners() {
        MemoryEstimate e = MemoryEstimate.of(config(List.of(listener("a", Protocol.UDP, 1_000_000)),
                List.of(group("g0", Algorithm.MAGLEV, 3, 65537))));

        assertThat(e.sessionsDominate()).isTrue();
        assertThat(e.refusal(512 * MIB)).hasValueSatisfying(m -> assertThat(m)
                .contains("UDP sessions ~466 MiB (max_sessions 1000000")
                .endsWith("or lower udp.max_sessions, targets or maglev_table_size"));
    }

    @Test
    void theLoaderReportsItAtTheKeyAndOnlyWhenAskedTo() throws Exception {
        String yaml = Yamls.VALID.replace("idle_timeout: 120s", "idle_timeout: 120s\n      max_sessions: 1000000");
        assertThat(yaml).isNotEqualTo(Yamls.VALID);
        ConfigLoader.parse(yaml, "cfg.yaml");
        ConfigLoader.parse(yaml, "cfg.yaml", 4L << 30);

        List<String> problems = assertThatExceptionOfType(ConfigException.class)
                .isThrownBy(() -> ConfigLoader.parse(yaml, "cfg.yaml", 256 * MIB))
                .actual().problems().stream().map(Problem::format).toList();
        assertThat(problems).hasSize(1);
        assertThat(problems.get(0)).startsWith("cfg.yaml:3:1: listeners: needs ~").contains("the JVM has 256 MiB of heap");
    }

    @Test
    void sizesReadLikeHeapFlags() {
        assertThat(MemoryEstimate.size(512 * MIB)).isEqualTo("512 MiB");
        assertThat(MemoryEstimate.size(MIB + 1)).isEqualTo("2 MiB");
        assertThat(MemoryEstimate.size((long) (1.9 * (1L << 30)))).isEqualTo("1.9 GiB");
    }
}
