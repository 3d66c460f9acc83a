package io.wavelb.config;

import static io.wavelb.config.LifecycleConfigTest.baseWith;
import static io.wavelb.config.Yamls.problems;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@code outlier_detection.udp_reply_timeout}: off unless written, 0 or 100ms..1h. Lines refer to LifecycleConfigTest.BASE. */
class UdpReplyTimeoutConfigTest {

    private static String withTimeout(String value) {
        return baseWith("      max_ejection_percent: 50\n",
                "      max_ejection_percent: 50\n      udp_reply_timeout: " + value + "\n");
    }

    private static OutlierDetectionConfig outliers(String yaml) throws ConfigException {
        return Yamls.parse(yaml).targetGroups().get(0).outlierDetection();
    }

    @Test
    void offUnlessWritten() throws Exception {
        OutlierDetectionConfig absent = outliers(LifecycleConfigTest.BASE);
        assertThat(absent.udpReplyTimeout()).isZero();
        assertThat(absent.udpReplyTimeoutEnabled()).isFalse();
        assertThat(OutlierDetectionConfig.DEFAULTS.udpReplyTimeoutEnabled()).isFalse();
    }

    @Test
    void readsTheDurationAndZeroMeansOff() throws Exception {
        assertThat(outliers(withTimeout("5s"))).isEqualTo(
                new OutlierDetectionConfig(5, Duration.ofSeconds(30), 50, Duration.ofSeconds(5)));
        assertThat(outliers(withTimeout("5s")).udpReplyTimeoutEnabled()).isTrue();
        assertThat(outliers(withTimeout("100ms")).udpReplyTimeout()).isEqualTo(Duration.ofMillis(100));
        assertThat(outliers(withTimeout("1h")).udpReplyTimeout()).isEqualTo(Duration.ofHours(1));
        assertThat(outliers(withTimeout("0s")).udpReplyTimeoutEnabled()).isFalse();
    }

    @Test
    void hasNoEffectWithoutOutlierDetection() throws Exception {
        OutlierDetectionConfig off = outliers(withTimeout("5s").replace("consecutive_failures: 5", "consecutive_failures: 0"));
        assertThat(off.udpReplyTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(off.udpReplyTimeoutEnabled()).isFalse();
    }

    @Test
    void outOfRangeValuesAreRefusedAtTheValue() {
        assertThat(problems(withTimeout("50ms"))).containsExactly(
                "cfg.yaml:21:26: target_groups[0].outlier_detection.udp_reply_timeout: udp_reply_timeout 50ms "
                        + "(expected 0 to turn it off, or 100ms..1h)");
        assertThat(problems(withTimeout("2h"))).containsExactly(
                "cfg.yaml:21:26: target_groups[0].outlier_detection.udp_reply_timeout: udp_reply_timeout 2h (expected 0s..1h)");
        assertThat(problems(withTimeout("soon"))).hasSize(1).first().asString()
                .startsWith("cfg.yaml:21:26: target_groups[0].outlier_detection.udp_reply_timeout: ");
    }

    @Test
    void theOldConstructorMeansNoReplyTimeout() {
        assertThat(new OutlierDetectionConfig(5, Duration.ofSeconds(30), 50))
                .isEqualTo(new OutlierDetectionConfig(5, Duration.ofSeconds(30), 50, Duration.ZERO));
    }
}
