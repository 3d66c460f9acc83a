package io.wavelb.config;

import static io.wavelb.config.Yamls.VALID;
import static io.wavelb.config.Yamls.problems;
import static io.wavelb.config.Yamls.validWith;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Each class of mistake, with the exact place it is reported. Lines refer to {@link Yamls#VALID}. */
class ConfigProblemsTest {

    @Test
    void validBaseConfigHasNoProblems() throws Exception {
        assertThat(Yamls.parse(VALID).listeners()).hasSize(2);
    }

    @Test
    void yamlSyntaxErrorIsReportedWhereTheParserStopped() {
        assertThat(problems(validWith("listen: 0.0.0.0:7000", "listen: 0.0.0.0:7000: x")))
                .containsExactly("cfg.yaml:6:25: invalid YAML: mapping values are not allowed here");
    }

    @Test
    void tabIndentationIsASyntaxError() {
        assertThat(problems(validWith("      idle_timeout: 120s", "\tidle_timeout: 120s")))
                .singleElement().asString()
                .startsWith("cfg.yaml:9:1: invalid YAML: found character '\\t(TAB)' that cannot start any token");
    }

    @Test
    void misspelledKeyIsReportedAtTheKeyWithASuggestion() {
        assertThat(problems(validWith("idle_timeout: 120s", "idle_timout: 120s")))
                .containsExactly("cfg.yaml:9:7: listeners[0].udp: unknown key 'idle_timout' (did you mean 'idle_timeout'?)");
    }

    @Test
    void unknownKeyWithNoCloseMatchListsTheKnownKeys() {
        assertThat(problems("metrics: {}\n" + VALID))
                .containsExactly("cfg.yaml:1:1: unknown key 'metrics' (expected one of: admin, runtime, flow_log, listeners, target_groups, agent)");
    }

    @Test
    void portAboveRangeIsReportedAtTheValue() {
        assertThat(problems(validWith("0.0.0.0:7443", "0.0.0.0:70000")))
                .containsExactly("cfg.yaml:12:13: listeners[1].listen: '0.0.0.0:70000': port 70000 (expected 1..65535)");
    }

    @Test
    void nonNumericPortIsReportedAtTheValue() {
        assertThat(problems(validWith("0.0.0.0:7443", "0.0.0.0:abc")))
                .containsExactly("cfg.yaml:12:13: listeners[1].listen: '0.0.0.0:abc': port 'abc' is not a number (expected 1..65535)");
    }

    @Test
    void targetAddressWithoutPortIsReported() {
        assertThat(problems(validWith("10.0.1.10:8443", "10.0.1.10")))
                .containsExactly("cfg.yaml:21:18: target_groups[1].targets[0].address: '10.0.1.10': missing port (expected host:port)");
    }

    @Test
    void duplicateListenerNameIsReportedAtTheSecondWithTheFirstsPlace() {
        assertThat(problems(validWith("  - name: control\n    protocol", "  - name: media\n    protocol")))
                .containsExactly("cfg.yaml:10:11: listeners[1].name: duplicate listener name 'media' (first at line 4, column 11)");
    }

    @Test
    void duplicateTargetGroupNameIsReportedAtTheSecond() {
        assertThat(problems(validWith("  - name: control\n    algorithm", "  - name: media\n    algorithm")))
                .containsExactly(
                        "cfg.yaml:13:19: listeners[1].target_group: target group 'control' is not defined (defined: media)",
                        "cfg.yaml:18:11: target_groups[1].name: duplicate target group name 'media' (first at line 15, column 11)");
    }

    @Test
    void undefinedTargetGroupNamesTheDefinedOnes() {
        assertThat(problems(validWith("target_group: media", "target_group: medai")))
                .containsExactly("cfg.yaml:7:19: listeners[0].target_group: target group 'medai' is not defined (defined: media, control)");
    }

    @Test
    void durationWithoutUnitAsksForOne() {
        assertThat(problems(validWith("idle_timeout: 120s", "idle_timeout: 30")))
                .containsExactly("cfg.yaml:9:21: listeners[0].udp.idle_timeout: duration '30' has no unit (add one, as in 30s; units: us, ms, s, m, h)");
    }

    @Test
    void emptyValueIsAMissingValue() {
        assertThat(problems(validWith("idle_timeout: 120s", "idle_timeout:")))
                .containsExactly("cfg.yaml:9:20: listeners[0].udp.idle_timeout: missing value (expected a duration such as 30s)");
    }

    @Test
    void durationWithUnknownUnitIsReported() {
        assertThat(problems(validWith("idle_timeout: 120s", "idle_timeout: 3x")))
                .containsExactly("cfg.yaml:9:21: listeners[0].udp.idle_timeout: '3x' is not a duration (expected a whole number and a unit: us, ms, s, m or h, as in 30s)");
    }

    @Test
    void negativeDurationIsReported() {
        assertThat(problems(validWith("idle_timeout: 120s", "idle_timeout: -1s")))
                .containsExactly("cfg.yaml:9:21: listeners[0].udp.idle_timeout: duration '-1s' is negative");
    }

    @Test
    void zeroTimeoutIsOutOfRange() {
        assertThat(problems(validWith("idle_timeout: 120s", "idle_timeout: 0s")))
                .containsExactly("cfg.yaml:9:21: listeners[0].udp.idle_timeout: idle_timeout 0s (expected 1ms..24h)");
    }

    @Test
    void overflowingDurationIsReported() {
        assertThat(problems(validWith("idle_timeout: 120s", "idle_timeout: 9999999999999999999h")))
                .containsExactly("cfg.yaml:9:21: listeners[0].udp.idle_timeout: duration '9999999999999999999h' is too large");
        assertThat(problems(validWith("idle_timeout: 120s", "idle_timeout: 999999h")))
                .containsExactly("cfg.yaml:9:21: listeners[0].udp.idle_timeout: idle_timeout 999999h (expected 1ms..24h)");
    }

    @Test
    void duplicateYamlKeyIsReportedAtTheSecondKey() {
        assertThat(problems(validWith("    protocol: udp\n", "    protocol: udp\n    protocol: tcp\n")))
                .containsExactly("cfg.yaml:6:5: listeners[0]: duplicate key 'protocol' (first at line 5, column 5)");
    }

    @Test
    void listWhereAMappingIsExpectedIsATypeProblem() {
        assertThat(problems(validWith("    udp:\n      idle_timeout: 120s\n", "    udp: [120s]\n")))
                .containsExactly("cfg.yaml:8:10: listeners[0].udp: expected a mapping, got a list");
    }

    @Test
    void scalarWhereAListIsExpectedIsATypeProblem() {
        assertThat(problems(validWith("    targets:\n      - address: 10.0.1.10:7000\n", "    targets: 10.0.1.10:7000\n")))
                .containsExactly("cfg.yaml:16:14: target_groups[0].targets: expected a list, got '10.0.1.10:7000'");
    }

    @Test
    void listenersAsAMappingIsATypeProblem() {
        assertThat(problems("listeners: {name: x}\ntarget_groups: []\n"))
                .containsExactly("cfg.yaml:1:12: listeners: expected a list, got a mapping");
    }

    @Test
    void missingRequiredKeyIsReportedAtTheMappingThatLacksIt() {
        assertThat(problems(validWith("    target_group: media\n", "")))
                .containsExactly("cfg.yaml:4:5: listeners[0]: missing required key 'target_group'");
    }

    @Test
    void missingTopLevelSectionIsReportedAtTheDocumentStart() {
        assertThat(problems("listeners:\n  - name: a\n    protocol: tcp\n    listen: 127.0.0.1:80\n    target_group: a\n"))
                .containsExactly(
                        "cfg.yaml:1:1: missing required key 'target_groups'",
                        "cfg.yaml:5:19: listeners[0].target_group: target group 'a' is not defined (no target groups are defined)");
    }

    @Test
    void noListenersIsAProblem() {
        assertThat(problems("listeners: []\ntarget_groups: []\n"))
                .containsExactly("cfg.yaml:1:12: listeners: at least one listener is required");
    }

    @Test
    void leastConnectionsGroupBehindAUdpListenerIsRefused() {
        assertThat(problems(validWith("target_group: media", "target_group: control")))
                .containsExactly("cfg.yaml:7:19: listeners[0].target_group: target group 'control' uses least_connections, which is TCP only (this listener's protocol is udp)");
    }

    @Test
    void nonPrimeMaglevTableSizeIsRefusedWithAPrimeSuggested() {
        assertThat(problems(validWith("  - name: media\n    targets:", "  - name: media\n    maglev_table_size: 65536\n    targets:")))
                .containsExactly("cfg.yaml:16:24: target_groups[0].maglev_table_size: maglev_table_size 65536 is not prime (try 65537)");
    }

    @Test
    void maglevTableSizeMustExceedAHundredSlotsPerTarget() {
        assertThat(problems(validWith("""
                  - name: media
                    targets:
                      - address: 10.0.1.10:7000
                """, """
                  - name: media
                    maglev_table_size: 101
                    targets:
                      - address: 10.0.1.10:7000
                      - address: 10.0.1.11:7000
                """)))
                .containsExactly("cfg.yaml:16:24: target_groups[0].maglev_table_size: maglev_table_size 101 is too small for 2 targets (expected a prime > 100 x 2 = 200; try 211)");
    }

    @Test
    void maglevTableSizeOnANonMaglevGroupWouldBeIgnoredSoIsRefused() {
        assertThat(problems(validWith("algorithm: least_connections\n", "algorithm: least_connections\n    maglev_table_size: 101\n")))
                .containsExactly("cfg.yaml:20:5: target_groups[1].maglev_table_size: maglev_table_size applies only to algorithms maglev and source_ip; this group uses least_connections and would ignore it");
    }

    @Test
    void quotedNumberIsNotAnInteger() {
        assertThat(problems(validWith("idle_timeout: 120s", "max_sessions: \"5\"")))
                .containsExactly("cfg.yaml:9:21: listeners[0].udp.max_sessions: expected an integer 1..10000000, got the string \"5\"; remove the quotes");
    }

    @Test
    void hexIntegerIsRefused() {
        assertThat(problems(validWith("idle_timeout: 120s", "max_sessions: 0x10")))
                .containsExactly("cfg.yaml:9:21: listeners[0].udp.max_sessions: '0x10' (expected a decimal integer 1..10000000)");
    }

    @Test
    void weightOutOfRangeIsReported() {
        assertThat(problems(validWith("- address: 10.0.1.10:7000\n", "- address: 10.0.1.10:7000\n        weight: 0\n")))
                .containsExactly("cfg.yaml:18:17: target_groups[0].targets[0].weight: weight 0 (expected 1..1000)");
    }

    @Test
    void eventLoopsOutOfRangeIsReported() {
        assertThat(problems("runtime:\n  event_loops: 257\n" + VALID))
                .containsExactly("cfg.yaml:2:16: runtime.event_loops: event_loops 257 (expected 0..256)");
    }

    @Test
    void misspelledEnumValueGetsASuggestion() {
        assertThat(problems(validWith("protocol: udp", "protocol: upd")))
                .containsExactly("cfg.yaml:5:15: listeners[0].protocol: 'upd' is not a protocol (did you mean 'udp'?)");
        assertThat(problems(validWith("protocol: udp", "protocol: UDP")))
                .containsExactly("cfg.yaml:5:15: listeners[0].protocol: 'UDP' is not a protocol (did you mean 'udp'?)");
    }

    @Test
    void invalidNameIsReported() {
        assertThat(problems(validWith("  - name: media\n    protocol", "  - name: Media Server\n    protocol")))
                .containsExactly("cfg.yaml:4:11: listeners[0].name: name 'Media Server' is not valid (expected 1..64 characters of a-z, 0-9, '_', '.', '-', starting with a letter or digit)");
    }

    @Test
    void udpSectionOnATcpListenerWouldBeIgnoredSoIsRefused() {
        assertThat(problems(validWith("    target_group: control\n", "    target_group: control\n    udp:\n      max_sessions: 10\n")))
                .containsExactly("cfg.yaml:14:5: listeners[1].udp: a 'udp' section on a tcp listener would be ignored (remove it, or use protocol udp or tcp_udp)");
    }

    @Test
    void duplicateTargetAddressInOneGroupIsReported() {
        assertThat(problems(validWith("- address: 10.0.1.10:7000\n", "- address: 10.0.1.10:7000\n      - address: 10.0.1.10:7000\n")))
                .containsExactly("cfg.yaml:18:18: target_groups[0].targets[1].address: duplicate target 10.0.1.10:7000 (first at line 17, column 18)");
    }

    @Test
    void sameAddressOnBothProtocolsIsFineButOverlappingProtocolsAreNot() throws Exception {
        String tcpOnTheUdpPort = validWith("0.0.0.0:7443", "0.0.0.0:7000");
        assertThat(Yamls.parse(tcpOnTheUdpPort).listeners()).hasSize(2);

        assertThat(problems(tcpOnTheUdpPort.replace("protocol: udp", "protocol: tcp_udp")))
                .containsExactly("cfg.yaml:12:13: listeners[1].listen: listen address 0.0.0.0:7000 (tcp) overlaps listener 'media' (0.0.0.0:7000, tcp_udp, at line 6, column 13)");
    }

    @Test
    void wildcardListenOverlapsASpecificAddressOnTheSamePort() {
        assertThat(problems(validWith("0.0.0.0:7443", "127.0.0.1:7000").replace("protocol: tcp", "protocol: udp").replace("target_group: control", "target_group: media")))
                .containsExactly("cfg.yaml:12:13: listeners[1].listen: listen address 127.0.0.1:7000 (udp) overlaps listener 'media' (0.0.0.0:7000, udp, at line 6, column 13)");
    }

    @Test
    void tcpListenerOnTheAdminAddressIsRefused() {
        assertThat(problems(validWith("0.0.0.0:7443", "0.0.0.0:9901")))
                .containsExactly("cfg.yaml:12:13: listeners[1].listen: listen address 0.0.0.0:9901 (tcp) overlaps the admin endpoint (127.0.0.1:9901)");
    }

    @Test
    void everyMistakeInOneFileIsReportedInFileOrder() {
        String yaml = VALID
                .replace("idle_timeout: 120s", "idle_timout: 120s")
                .replace("0.0.0.0:7443", "0.0.0.0:70000")
                .replace("target_group: media", "target_group: medai")
                .replace("- address: 10.0.1.10:8443", "- address: 10.0.1.10:8443\n        weight: 5000");

        assertThat(problems(yaml)).containsExactly(
                "cfg.yaml:7:19: listeners[0].target_group: target group 'medai' is not defined (defined: media, control)",
                "cfg.yaml:9:7: listeners[0].udp: unknown key 'idle_timout' (did you mean 'idle_timeout'?)",
                "cfg.yaml:12:13: listeners[1].listen: '0.0.0.0:70000': port 70000 (expected 1..65535)",
                "cfg.yaml:22:17: target_groups[1].targets[0].weight: weight 5000 (expected 1..1000)");
    }

    @Test
    void exceptionMessageIsOneFormattedProblemPerLine() {
        String yaml = VALID.replace("0.0.0.0:7443", "0.0.0.0:0").replace("idle_timeout: 120s", "idle_timeout: 1d");
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, () -> Yamls.parse(yaml));
        assertThat(e.getMessage().lines()).containsExactlyElementsOf(e.problems().stream().map(Problem::format).toList());
        assertThat(e.problems()).extracting(Problem::line, Problem::column).containsExactly(
                org.assertj.core.groups.Tuple.tuple(9, 21), org.assertj.core.groups.Tuple.tuple(12, 13));
    }
}
