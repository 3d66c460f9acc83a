package io.wavelb.config;

import static io.wavelb.config.Yamls.problems;
import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.config.HealthCheckConfig.HealthProtocol;
import io.wavelb.config.HealthCheckConfig.StatusRange;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Health checks, outlier detection, deregistration and the admin token file: each key read into
 * its record field, each mistake at its exact place. Lines refer to {@link #BASE}.
 */
class LifecycleConfigTest {

    /** Every new key set; line numbers in the tests refer to it. */
    static final String BASE = """
            listeners:
              - name: media
                protocol: udp
                listen: 0.0.0.0:7000
                target_group: media
            target_groups:
              - name: media
                health_check:
                  protocol: udp
                  port: 7001
                  send: "ping"
                  expect: "pong"
                  interval: 5s
                  timeout: 2s
                  healthy_threshold: 3
                  unhealthy_threshold: 3
                outlier_detection:
                  consecutive_failures: 5
                  ejection_time: 30s
                  max_ejection_percent: 50
                deregistration_delay: 300s
                terminate_on_unhealthy: false
                targets:
                  - address: 10.0.1.10:7000
            """;

    /** {@link #BASE} with one exact piece of text replaced; fails if the piece is not there once. */
    static String baseWith(String from, String to) {
        int at = BASE.indexOf(from);
        if (at < 0 || BASE.indexOf(from, at + 1) >= 0) {
            throw new IllegalArgumentException("not exactly once in BASE: " + from);
        }
        return BASE.substring(0, at) + to + BASE.substring(at + from.length());
    }

    private static TargetGroupConfig group(String yaml) throws ConfigException {
        return Yamls.parse(yaml).targetGroups().get(0);
    }

    private static HealthCheckConfig check(String yaml) throws ConfigException {
        return group(yaml).healthCheck().orElseThrow();
    }

    // ---- good values ---------------------------------------------------------------------------

    @Test
    void baseReadsEveryKeyIntoItsField() throws Exception {
        TargetGroupConfig g = group(BASE);

        assertThat(g.healthCheck()).contains(new HealthCheckConfig(HealthProtocol.UDP, 7001,
                Payload.parse("ping"), Payload.parse("pong"), "/", StatusRange.DEFAULT,
                Duration.ofSeconds(5), Duration.ofSeconds(2), 3, 3));
        assertThat(g.outlierDetection()).isEqualTo(new OutlierDetectionConfig(5, Duration.ofSeconds(30), 50));
        assertThat(g.deregistrationDelay()).isEqualTo(Duration.ofSeconds(300));
        assertThat(g.terminateOnUnhealthy()).isFalse();
    }

    @Test
    void theIssuesHealthCheckBlockLoadsAsWritten() throws Exception {
        String yaml = Yamls.validWith("""
                  - name: media
                    targets:
                """, """
                  - name: media
                    health_check:
                      protocol: udp            # tcp | http | udp
                      port: 7000               # default: the traffic port
                      send: "ping"             # udp: payload to send (text, or hex:0a0b...)
                      expect: "pong"           # udp: reply must start with this; http: path + expected status
                      path: /healthz           # http only
                      interval: 5s
                      timeout: 2s
                      healthy_threshold: 3
                      unhealthy_threshold: 3
                    targets:
                """);

        HealthCheckConfig check = Yamls.parse(yaml).targetGroup("media").orElseThrow().healthCheck().orElseThrow();

        assertThat(check).isEqualTo(new HealthCheckConfig(HealthProtocol.UDP, 7000,
                Payload.of("ping".getBytes(StandardCharsets.UTF_8)), Payload.of("pong".getBytes(StandardCharsets.UTF_8)),
                "/healthz", StatusRange.DEFAULT, Duration.ofSeconds(5), Duration.ofSeconds(2), 3, 3));
    }

    @Test
    void absentSectionsMeanNoActiveCheckAndDefaults() throws Exception {
        WavelbConfig config = Yamls.parse(Yamls.VALID);

        for (TargetGroupConfig g : config.targetGroups()) {
            assertThat(g.healthCheck()).isEmpty();
            assertThat(g.outlierDetection()).isEqualTo(OutlierDetectionConfig.DEFAULTS);
            assertThat(g.outlierDetection()).isEqualTo(new OutlierDetectionConfig(5, Duration.ofSeconds(30), 50));
            assertThat(g.deregistrationDelay()).isEqualTo(Duration.ofSeconds(300));
            assertThat(g.terminateOnUnhealthy()).isFalse();
        }
        assertThat(config.admin().tokenFile()).isEmpty();
    }

    @Test
    void emptyOutlierDetectionMeansDefaults() throws Exception {
        String yaml = baseWith("""
                    outlier_detection:
                      consecutive_failures: 5
                      ejection_time: 30s
                      max_ejection_percent: 50
                """, """
                    outlier_detection:
                """);

        assertThat(group(yaml).outlierDetection()).isEqualTo(OutlierDetectionConfig.DEFAULTS);
    }

    @Test
    void udpCheckWithOnlyProtocolAndSendHasDefaultsForTheRest() throws Exception {
        String yaml = Yamls.validWith("  - name: media\n    targets:",
                "  - name: media\n    health_check: {protocol: udp, send: \"hex:0a0B\"}\n    targets:");

        HealthCheckConfig check = Yamls.parse(yaml).targetGroups().get(0).healthCheck().orElseThrow();
        assertThat(check.send().bytes()).containsExactly(0x0a, 0x0b);
        assertThat(check).isEqualTo(new HealthCheckConfig(HealthProtocol.UDP, 0, Payload.of(new byte[] {0x0a, 0x0b}),
                Payload.EMPTY, "/", StatusRange.DEFAULT, HealthCheckConfig.DEFAULT_INTERVAL,
                HealthCheckConfig.DEFAULT_TIMEOUT, 3, 3));
    }

    @Test
    void udpExpectMayBeHexOrEmptyForAnyReply() throws Exception {
        assertThat(check(baseWith("expect: \"pong\"", "expect: hex:ff00")).expect().bytes())
                .containsExactly(0xff, 0x00);
        assertThat(check(baseWith("expect: \"pong\"", "expect: \"\"")).expect()).isEqualTo(Payload.EMPTY);
    }

    @Test
    void tcpCheckWithOnlyAProtocolIsTheTcpDefaults() throws Exception {
        String yaml = Yamls.validWith("  - name: media\n    targets:", "  - name: media\n    health_check:\n      protocol: tcp\n    targets:");

        assertThat(Yamls.parse(yaml).targetGroups().get(0).healthCheck())
                .contains(HealthCheckConfig.defaults(HealthProtocol.TCP));
    }

    @Test
    void httpCheckReadsPathAndStatusRange() throws Exception {
        String http = """
                    health_check:
                      protocol: http
                      port: 8080
                      path: /healthz?full=1
                      expect: 200-299
                      interval: 300s
                      timeout: 60s
                      healthy_threshold: 1
                      unhealthy_threshold: 10
                """;
        String yaml = baseWith(BASE.substring(BASE.indexOf("    health_check:"), BASE.indexOf("    outlier_detection:")), http);

        assertThat(check(yaml)).isEqualTo(new HealthCheckConfig(HealthProtocol.HTTP, 8080, Payload.EMPTY,
                Payload.EMPTY, "/healthz?full=1", new StatusRange(200, 299), Duration.ofSeconds(300),
                Duration.ofSeconds(60), 1, 10));
        assertThat(check(yaml.replace("expect: 200-299", "expect: 204")).httpStatus()).isEqualTo(new StatusRange(204, 204));
        HealthCheckConfig defaults = check(yaml.replace("      path: /healthz?full=1\n", "").replace("      expect: 200-299\n", ""));
        assertThat(defaults.path()).isEqualTo("/");
        assertThat(defaults.httpStatus()).isEqualTo(new StatusRange(200, 399));
    }

    @Test
    void outlierDetectionDeregistrationAndTerminateTakeTheirRangeEnds() throws Exception {
        TargetGroupConfig low = group(BASE
                .replace("consecutive_failures: 5", "consecutive_failures: 0")
                .replace("ejection_time: 30s", "ejection_time: 1s")
                .replace("max_ejection_percent: 50", "max_ejection_percent: 0")
                .replace("deregistration_delay: 300s", "deregistration_delay: 0s")
                .replace("terminate_on_unhealthy: false", "terminate_on_unhealthy: true"));
        assertThat(low.outlierDetection()).isEqualTo(new OutlierDetectionConfig(0, Duration.ofSeconds(1), 0));
        assertThat(low.outlierDetection().enabled()).isFalse();
        assertThat(low.deregistrationDelay()).isZero();
        assertThat(low.terminateOnUnhealthy()).isTrue();

        TargetGroupConfig high = group(BASE
                .replace("consecutive_failures: 5", "consecutive_failures: 1000")
                .replace("ejection_time: 30s", "ejection_time: 1h")
                .replace("max_ejection_percent: 50", "max_ejection_percent: 100")
                .replace("deregistration_delay: 300s", "deregistration_delay: 3600s"));
        assertThat(high.outlierDetection()).isEqualTo(new OutlierDetectionConfig(1000, Duration.ofHours(1), 100));
        assertThat(high.deregistrationDelay()).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void healthCheckTimingRangeEndsAreAccepted() throws Exception {
        HealthCheckConfig fast = check(BASE.replace("interval: 5s", "interval: 100ms").replace("timeout: 2s", "timeout: 10ms"));
        assertThat(fast.interval()).isEqualTo(Duration.ofMillis(100));
        assertThat(fast.timeout()).isEqualTo(Duration.ofMillis(10));
    }

    // ---- admin.token_file ----------------------------------------------------------------------

    private static final String ADMIN_WITH_TOKEN = "admin:\n  listen: 127.0.0.1:9902\n  token_file: admin.token\n";

    @Test
    void relativeTokenFileIsResolvedAgainstTheConfigFilesDirectory() throws Exception {
        String yaml = ADMIN_WITH_TOKEN + BASE;

        AdminConfig admin = ConfigLoader.parse(yaml, "/etc/wavelb/wavelb.yaml").admin();
        assertThat(admin.listen()).isEqualTo(new HostPort("127.0.0.1", 9902));
        assertThat(admin.tokenFile()).contains(Path.of("/etc/wavelb/admin.token"));

        Path cwd = Path.of("").toAbsolutePath();
        assertThat(ConfigLoader.parse(yaml, "conf/wavelb.yaml").admin().tokenFile())
                .contains(cwd.resolve("conf/admin.token"));
        assertThat(ConfigLoader.parse(yaml, "wavelb.yaml").admin().tokenFile())
                .contains(cwd.resolve("admin.token"));
        assertThat(ConfigLoader.parse(yaml.replace("token_file: admin.token", "token_file: ../secrets/t"),
                "/etc/wavelb/wavelb.yaml").admin().tokenFile()).contains(Path.of("/etc/secrets/t"));
    }

    @Test
    void absoluteTokenFileIsKeptAsWritten() throws Exception {
        String yaml = ADMIN_WITH_TOKEN.replace("admin.token", "/run/secrets/wavelb-admin") + BASE;

        assertThat(ConfigLoader.parse(yaml, "/etc/wavelb/wavelb.yaml").admin().tokenFile())
                .contains(Path.of("/run/secrets/wavelb-admin"));
    }

    @Test
    void tokenFileAloneKeepsTheDefaultListenAddress() throws Exception {
        AdminConfig admin = ConfigLoader.parse("admin:\n  token_file: t\n" + BASE, "/etc/w.yaml").admin();

        assertThat(admin).isEqualTo(new AdminConfig(new HostPort("127.0.0.1", 9901), Optional.of(Path.of("/etc/t"))));
    }

    @Test
    void emptyTokenFileIsRefused() {
        assertThat(problems("admin:\n  token_file: \"\"\n" + BASE))
                .containsExactly("cfg.yaml:2:15: admin.token_file: token_file is empty (expected the path of a file holding the admin token; remove the key to refuse mutating admin calls)");
        assertThat(problems("admin:\n  token_file: \"  \"\n" + BASE))
                .containsExactly("cfg.yaml:2:15: admin.token_file: token_file is empty (expected the path of a file holding the admin token; remove the key to refuse mutating admin calls)");
        assertThat(problems("admin:\n  token_file:\n" + BASE))
                .containsExactly("cfg.yaml:2:14: admin.token_file: missing value (expected a file path)");
    }

    @Test
    void misspelledAdminKeyGetsASuggestion() {
        assertThat(problems("admin:\n  tokenfile: a\n" + BASE))
                .containsExactly("cfg.yaml:2:3: admin: unknown key 'tokenfile' (did you mean 'token_file'?)");
    }

    // ---- mistakes ------------------------------------------------------------------------------

    @Test
    void misspelledKeysInTheNewSectionsGetSuggestions() {
        assertThat(problems(BASE
                .replace("unhealthy_threshold: 3", "unhealthy_treshold: 3")
                .replace("ejection_time: 30s", "ejection_tme: 30s")
                .replace("deregistration_delay: 300s", "deregistation_delay: 300s")
                .replace("terminate_on_unhealthy: false", "terminate_on_unheathy: false")))
                .containsExactly(
                        "cfg.yaml:16:7: target_groups[0].health_check: unknown key 'unhealthy_treshold' (did you mean 'unhealthy_threshold'?)",
                        "cfg.yaml:19:7: target_groups[0].outlier_detection: unknown key 'ejection_tme' (did you mean 'ejection_time'?)",
                        "cfg.yaml:21:5: target_groups[0]: unknown key 'deregistation_delay' (did you mean 'deregistration_delay'?)",
                        "cfg.yaml:22:5: target_groups[0]: unknown key 'terminate_on_unheathy' (did you mean 'terminate_on_unhealthy'?)");
    }

    @Test
    void unknownHealthCheckKeyListsTheKnownKeys() {
        assertThat(problems(baseWith("      port: 7001\n", "      port: 7001\n      retries: 2\n")))
                .containsExactly("cfg.yaml:11:7: target_groups[0].health_check: unknown key 'retries' (expected one of: protocol, port, send, expect, path, interval, timeout, healthy_threshold, unhealthy_threshold)");
    }

    @Test
    void badHealthCheckProtocolListsTheOptions() {
        assertThat(problems(baseWith("protocol: udp\n      port", "protocol: icmp\n      port")))
                .containsExactly("cfg.yaml:9:17: target_groups[0].health_check.protocol: 'icmp' is not a health check protocol (expected one of: tcp, http, udp)");
        assertThat(problems(baseWith("protocol: udp\n      port", "protocol: UDP\n      port")))
                .containsExactly("cfg.yaml:9:17: target_groups[0].health_check.protocol: 'UDP' is not a health check protocol (did you mean 'udp'? expected one of: tcp, http, udp)");
    }

    @Test
    void healthCheckWithoutProtocolIsRefused() {
        assertThat(problems(baseWith("      protocol: udp\n      port", "      port")))
                .containsExactly("cfg.yaml:9:7: target_groups[0].health_check: missing required key 'protocol'");
    }

    @Test
    void emptyHealthCheckIsRefusedRatherThanGuessed() {
        String yaml = Yamls.validWith("  - name: media\n    targets:", "  - name: media\n    health_check:\n    targets:");

        assertThat(problems(yaml))
                .containsExactly("cfg.yaml:16:5: target_groups[0].health_check: missing required key 'protocol' (an empty health_check has no protocol; remove the key for no active check)");
    }

    @Test
    void healthCheckMustBeAMapping() {
        assertThat(problems(Yamls.validWith("  - name: media\n    targets:", "  - name: media\n    health_check: udp\n    targets:")))
                .containsExactly("cfg.yaml:16:19: target_groups[0].health_check: expected a mapping, got 'udp'");
    }

    @Test
    void udpCheckWithoutSendIsRefusedAtTheCheck() {
        assertThat(problems(baseWith("      send: \"ping\"\n", "")))
                .containsExactly("cfg.yaml:9:7: target_groups[0].health_check: missing required key 'send' (a udp health check needs a datagram to send, as in send: \"ping\" or send: \"hex:0a0b\")");
    }

    @Test
    void sendOnTcpOrHttpWouldBeIgnoredSoIsRefused() {
        String tcp = BASE.replace("protocol: udp\n      port", "protocol: tcp\n      port").replace("      expect: \"pong\"\n", "");
        assertThat(problems(tcp))
                .containsExactly("cfg.yaml:11:7: target_groups[0].health_check.send: send applies only to udp health checks; a tcp check only connects and would ignore it");
        String http = BASE.replace("protocol: udp\n      port", "protocol: http\n      port").replace("expect: \"pong\"", "expect: 200");
        assertThat(problems(http))
                .containsExactly("cfg.yaml:11:7: target_groups[0].health_check.send: send applies only to udp health checks; an http check sends GET with its path and would ignore it");
    }

    @Test
    void expectAndPathOnTcpWouldBeIgnoredSoAreRefused() {
        String tcp = BASE.replace("protocol: udp\n      port", "protocol: tcp\n      port")
                .replace("      send: \"ping\"\n", "")
                .replace("expect: \"pong\"", "expect: \"pong\"\n      path: /healthz");
        assertThat(problems(tcp)).containsExactly(
                "cfg.yaml:11:7: target_groups[0].health_check.expect: expect applies only to udp and http health checks; a tcp check only connects and would ignore it",
                "cfg.yaml:12:7: target_groups[0].health_check.path: path applies only to http health checks; a tcp check only connects and would ignore it");
    }

    @Test
    void pathOnAUdpCheckIsKeptBecauseTheIssuesExampleHasOne() throws Exception {
        assertThat(check(baseWith("expect: \"pong\"\n", "expect: \"pong\"\n      path: /healthz\n")).path())
                .isEqualTo("/healthz");
    }

    @Test
    void badHexPayloadIsReportedAtTheValue() {
        assertThat(problems(baseWith("send: \"ping\"", "send: hex:0g")))
                .containsExactly("cfg.yaml:11:13: target_groups[0].health_check.send: 'hex:0g': after 'hex:' expected an even number of hex digits");
        assertThat(problems(baseWith("send: \"ping\"", "send: hex:abc")))
                .containsExactly("cfg.yaml:11:13: target_groups[0].health_check.send: 'hex:abc': after 'hex:' expected an even number of hex digits");
        assertThat(problems(baseWith("expect: \"pong\"", "expect: \"hex:zz\"")))
                .containsExactly("cfg.yaml:12:15: target_groups[0].health_check.expect: 'hex:zz': after 'hex:' expected an even number of hex digits");
    }

    @Test
    void emptySendIsRefused() {
        assertThat(problems(baseWith("send: \"ping\"", "send: \"\"")))
                .containsExactly("cfg.yaml:11:13: target_groups[0].health_check.send: send is empty (expected at least one byte)");
        assertThat(problems(baseWith("send: \"ping\"", "send: \"hex:\"")))
                .containsExactly("cfg.yaml:11:13: target_groups[0].health_check.send: send is empty (expected at least one byte)");
        assertThat(problems(baseWith("send: \"ping\"", "send:")))
                .containsExactly("cfg.yaml:11:12: target_groups[0].health_check.send: missing value (expected text or hex:0a0b...)");
    }

    @Test
    void sendLargerThanADatagramIsRefused() {
        assertThat(problems(baseWith("send: \"ping\"", "send: " + "x".repeat(65_508))))
                .containsExactly("cfg.yaml:11:13: target_groups[0].health_check.send: send is 65508 bytes (expected at most 65507, the largest IPv4 UDP payload)");
    }

    @Test
    void httpExpectMustBeAStatusOrRange() {
        String http = BASE.replace("protocol: udp\n      port", "protocol: http\n      port").replace("      send: \"ping\"\n", "");
        assertThat(problems(http))
                .containsExactly("cfg.yaml:11:15: target_groups[0].health_check.expect: 'pong' is not an HTTP status (expected a status such as 200 or a range such as 200-399)");
        assertThat(problems(http.replace("expect: \"pong\"", "expect: 600")))
                .containsExactly("cfg.yaml:11:15: target_groups[0].health_check.expect: '600': HTTP statuses are 100..599");
        assertThat(problems(http.replace("expect: \"pong\"", "expect: 399-200")))
                .containsExactly("cfg.yaml:11:15: target_groups[0].health_check.expect: '399-200': the range is backwards (expected low-high, as in 200-399)");
        assertThat(problems(http.replace("expect: \"pong\"", "expect: 2xx")))
                .containsExactly("cfg.yaml:11:15: target_groups[0].health_check.expect: '2xx' is not an HTTP status (expected a status such as 200 or a range such as 200-399)");
    }

    @Test
    void pathMustStartWithASlashAndHaveNoSpaces() {
        String http = BASE.replace("protocol: udp\n      port", "protocol: http\n      port")
                .replace("      send: \"ping\"\n", "")
                .replace("expect: \"pong\"", "path: healthz");
        assertThat(problems(http))
                .containsExactly("cfg.yaml:11:13: target_groups[0].health_check.path: path 'healthz' must start with '/' (as in /healthz)");
        assertThat(problems(http.replace("path: healthz", "path: \"/health z\"")))
                .containsExactly("cfg.yaml:11:13: target_groups[0].health_check.path: path '/health z' contains a space or control character (percent-encode it, as in %20)");
    }

    @Test
    void timeoutMustBeShorterThanInterval() {
        assertThat(problems(baseWith("timeout: 2s", "timeout: 5s")))
                .containsExactly("cfg.yaml:14:16: target_groups[0].health_check.timeout: timeout 5s is not shorter than interval 5s; a probe must end before the next one starts");
        assertThat(problems(BASE.replace("      interval: 5s\n", "").replace("timeout: 2s", "timeout: 10s")))
                .containsExactly("cfg.yaml:13:16: target_groups[0].health_check.timeout: timeout 10s is not shorter than interval 5s (the default); a probe must end before the next one starts");
        assertThat(problems(BASE.replace("      timeout: 2s\n", "").replace("interval: 5s", "interval: 1500ms")))
                .containsExactly("cfg.yaml:13:17: target_groups[0].health_check.interval: interval 1500ms is not longer than timeout 2s (the default); set a shorter timeout");
    }

    @Test
    void healthCheckTimingOutOfRangeIsReported() {
        assertThat(problems(baseWith("interval: 5s", "interval: 50ms")))
                .containsExactly("cfg.yaml:13:17: target_groups[0].health_check.interval: interval 50ms (expected 100ms..5m)");
        assertThat(problems(baseWith("interval: 5s", "interval: 301s")))
                .containsExactly("cfg.yaml:13:17: target_groups[0].health_check.interval: interval 301s (expected 100ms..5m)");
        assertThat(problems(baseWith("timeout: 2s", "timeout: 5ms")))
                .containsExactly("cfg.yaml:14:16: target_groups[0].health_check.timeout: timeout 5ms (expected 10ms..1m)");
        assertThat(problems(baseWith("timeout: 2s", "timeout: 2")))
                .containsExactly("cfg.yaml:14:16: target_groups[0].health_check.timeout: duration '2' has no unit (add one, as in 2s; units: us, ms, s, m, h)");
    }

    @Test
    void thresholdsAndPortOutOfRangeAreReported() {
        assertThat(problems(BASE.replace("healthy_threshold: 3\n      unhealthy", "healthy_threshold: 0\n      unhealthy")
                .replace("unhealthy_threshold: 3", "unhealthy_threshold: 11")
                .replace("port: 7001", "port: 70000")))
                .containsExactly(
                        "cfg.yaml:10:13: target_groups[0].health_check.port: port 70000 (expected 1..65535)",
                        "cfg.yaml:15:26: target_groups[0].health_check.healthy_threshold: healthy_threshold 0 (expected 1..10)",
                        "cfg.yaml:16:28: target_groups[0].health_check.unhealthy_threshold: unhealthy_threshold 11 (expected 1..10)");
        assertThat(problems(baseWith("port: 7001", "port: 0")))
                .containsExactly("cfg.yaml:10:13: target_groups[0].health_check.port: port 0 (expected 1..65535)");
        assertThat(problems(baseWith("port: 7001", "port: \"7001\"")))
                .containsExactly("cfg.yaml:10:13: target_groups[0].health_check.port: expected an integer 1..65535, got the string \"7001\"; remove the quotes");
    }

    @Test
    void outlierDetectionOutOfRangeIsReported() {
        assertThat(problems(BASE
                .replace("consecutive_failures: 5", "consecutive_failures: 1001")
                .replace("ejection_time: 30s", "ejection_time: 500ms")
                .replace("max_ejection_percent: 50", "max_ejection_percent: 101")))
                .containsExactly(
                        "cfg.yaml:18:29: target_groups[0].outlier_detection.consecutive_failures: consecutive_failures 1001 (expected 0..1000)",
                        "cfg.yaml:19:22: target_groups[0].outlier_detection.ejection_time: ejection_time 500ms (expected 1s..1h)",
                        "cfg.yaml:20:29: target_groups[0].outlier_detection.max_ejection_percent: max_ejection_percent 101 (expected 0..100)");
        assertThat(problems(baseWith("consecutive_failures: 5", "consecutive_failures: -1")))
                .containsExactly("cfg.yaml:18:29: target_groups[0].outlier_detection.consecutive_failures: consecutive_failures -1 (expected 0..1000)");
        assertThat(problems(baseWith("ejection_time: 30s", "ejection_time: 61m")))
                .containsExactly("cfg.yaml:19:22: target_groups[0].outlier_detection.ejection_time: ejection_time 61m (expected 1s..1h)");
    }

    @Test
    void outlierDetectionMustBeAMapping() {
        assertThat(problems(baseWith("""
                    outlier_detection:
                      consecutive_failures: 5
                      ejection_time: 30s
                      max_ejection_percent: 50
                """, """
                    outlier_detection: [5]
                """)))
                .containsExactly("cfg.yaml:17:24: target_groups[0].outlier_detection: expected a mapping, got a list");
    }

    @Test
    void deregistrationDelayOutOfRangeIsReported() {
        assertThat(problems(baseWith("deregistration_delay: 300s", "deregistration_delay: 3601s")))
                .containsExactly("cfg.yaml:21:27: target_groups[0].deregistration_delay: deregistration_delay 3601s (expected 0s..1h)");
        assertThat(problems(baseWith("deregistration_delay: 300s", "deregistration_delay: 300")))
                .containsExactly("cfg.yaml:21:27: target_groups[0].deregistration_delay: duration '300' has no unit (add one, as in 300s; units: us, ms, s, m, h)");
    }

    @Test
    void terminateOnUnhealthyIsStrictlyTrueOrFalse() {
        assertThat(problems(baseWith("terminate_on_unhealthy: false", "terminate_on_unhealthy: yes")))
                .containsExactly("cfg.yaml:22:29: target_groups[0].terminate_on_unhealthy: expected true or false, got the boolean yes");
        assertThat(problems(baseWith("terminate_on_unhealthy: false", "terminate_on_unhealthy: \"true\"")))
                .containsExactly("cfg.yaml:22:29: target_groups[0].terminate_on_unhealthy: expected true or false, got the string \"true\"; remove the quotes");
        assertThat(problems(baseWith("terminate_on_unhealthy: false", "terminate_on_unhealthy: 1")))
                .containsExactly("cfg.yaml:22:29: target_groups[0].terminate_on_unhealthy: expected true or false, got the integer 1");
        assertThat(problems(baseWith("terminate_on_unhealthy: false", "terminate_on_unhealthy:")))
                .containsExactly("cfg.yaml:22:28: target_groups[0].terminate_on_unhealthy: missing value (expected true or false)");
    }

    @Test
    void everyMistakeInAHealthCheckIsReportedInFileOrder() {
        assertThat(problems(BASE
                .replace("protocol: udp\n      port", "protocol: udp\n      prot")
                .replace("send: \"ping\"", "sned: \"ping\"")
                .replace("interval: 5s", "interval: 1s")
                .replace("unhealthy_threshold: 3", "unhealthy_threshold: 0")))
                .containsExactly(
                        "cfg.yaml:9:7: target_groups[0].health_check: missing required key 'send' (a udp health check needs a datagram to send, as in send: \"ping\" or send: \"hex:0a0b\")",
                        "cfg.yaml:10:7: target_groups[0].health_check: unknown key 'prot' (did you mean 'port'?)",
                        "cfg.yaml:11:7: target_groups[0].health_check: unknown key 'sned' (did you mean 'send'?)",
                        "cfg.yaml:14:16: target_groups[0].health_check.timeout: timeout 2s is not shorter than interval 1s; a probe must end before the next one starts",
                        "cfg.yaml:16:28: target_groups[0].health_check.unhealthy_threshold: unhealthy_threshold 0 (expected 1..10)");
    }

    // ---- example -------------------------------------------------------------------------------

    @Test
    void lifecycleExampleLoads() throws Exception {
        WavelbConfig config = ConfigLoader.load(Path.of("examples/lifecycle.yaml"));

        assertThat(config.admin().listen()).isEqualTo(new HostPort("127.0.0.1", 9901));
        assertThat(config.admin().tokenFile()).contains(Path.of("examples/admin.token").toAbsolutePath());
        TargetGroupConfig media = config.targetGroup("media").orElseThrow();
        assertThat(media.targets()).extracting(TargetConfig::address).containsExactly(
                new HostPort("127.0.0.1", 9001), new HostPort("127.0.0.1", 9002), new HostPort("127.0.0.1", 9003));
        assertThat(media.healthCheck()).contains(new HealthCheckConfig(HealthProtocol.UDP, 0, Payload.parse("ping"),
                Payload.parse("pong"), "/", StatusRange.DEFAULT, Duration.ofSeconds(2), Duration.ofMillis(500), 2, 2));
        assertThat(media.outlierDetection()).isEqualTo(new OutlierDetectionConfig(3, Duration.ofSeconds(10), 50));
        assertThat(media.deregistrationDelay()).isEqualTo(Duration.ofSeconds(30));
        assertThat(media.terminateOnUnhealthy()).isFalse();
    }
}
