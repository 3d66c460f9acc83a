package io.wavelb.core.flowlog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wavelb.config.FlowLogConfig;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.json.Json;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A flow record as a JSON line and as a logfmt line: every field, each end reason, escaping. */
class FlowRecordFormatTest {

    private static final long START = 1_764_892_800_123L; // 2025-12-05T00:00:00.123Z
    private static final FlowRecordFormat JSON = new FlowRecordFormat(FlowLogConfig.Format.JSON);
    private static final FlowRecordFormat LOGFMT = new FlowRecordFormat(FlowLogConfig.Format.LOGFMT);

    private static InetSocketAddress at(String ip, int port) throws Exception {
        return new InetSocketAddress(InetAddress.getByName(ip), port);
    }

    private static FlowRecord udpEnd(EndReason reason, String route) throws Exception {
        return new FlowRecord(FlowRecord.Event.END, "media", "udp", at("192.0.2.7", 40000), at("10.0.0.1", 7000),
                at("10.0.1.10", 7000), START, 2_500_123_456L, 1200, 3400, 3, 4, reason, route);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> parse(String line) throws Exception {
        assertThat(line).endsWith("\n").doesNotContain("\r").hasLineCount(1);
        return (Map<String, Object>) Json.parse(line.strip());
    }

    @Test
    void aUdpEndRecordIsOneJsonObjectWithEveryField() throws Exception {
        Map<String, Object> m = parse(JSON.format(udpEnd(EndReason.IDLE, "quic_cid")));
        assertThat(m).containsExactly(
                Map.entry("time", "2025-12-05T00:00:02.623Z"),
                Map.entry("event", "end"),
                Map.entry("listener", "media"),
                Map.entry("protocol", "udp"),
                Map.entry("client", "192.0.2.7:40000"),
                Map.entry("local", "10.0.0.1:7000"),
                Map.entry("target", "10.0.1.10:7000"),
                Map.entry("start", "2025-12-05T00:00:00.123Z"),
                Map.entry("duration_ms", 2500.123),
                Map.entry("bytes_from_client", 1200L),
                Map.entry("bytes_to_client", 3400L),
                Map.entry("datagrams_from_client", 3L),
                Map.entry("datagrams_to_client", 4L),
                Map.entry("end_reason", "idle"),
                Map.entry("route", "quic_cid"));
    }

    @Test
    void everyEndReasonParsesBackInBothFormats() throws Exception {
        for (EndReason reason : EndReason.values()) {
            FlowRecord r = udpEnd(reason, null);
            assertThat(parse(JSON.format(r))).containsEntry("end_reason", reason.label()).doesNotContainKey("route");
            assertThat(logfmt(LOGFMT.format(r))).containsEntry("end_reason", reason.label());
        }
    }

    @Test
    void everySessionCloseCounterHasAnEndReasonNamedAsItsMetricReason() {
        for (ListenerCounter c : ListenerCounter.values()) {
            if (c.name().startsWith("CLOSED_")) {
                assertThat(EndReason.of(c).label()).isEqualTo(c.tagValue());
            } else {
                assertThatThrownBy(() -> EndReason.of(c)).isInstanceOf(IllegalArgumentException.class);
            }
        }
    }

    @Test
    void aTcpStartRecordHasNoDatagramsNoReasonAndAZeroDuration() throws Exception {
        FlowRecord r = new FlowRecord(FlowRecord.Event.START, "web", "tcp", at("2001:db8::7", 50000),
                at("::1", 443), at("2001:db8::10", 8443), START, 0, 0, 0, -1, -1, null, null);
        Map<String, Object> m = parse(JSON.format(r));
        assertThat(m).containsEntry("event", "start").containsEntry("time", "2025-12-05T00:00:00.123Z")
                .containsEntry("client", "[2001:db8:0:0:0:0:0:7]:50000").containsEntry("local", "[0:0:0:0:0:0:0:1]:443")
                .containsEntry("duration_ms", 0.0)
                .doesNotContainKeys("datagrams_from_client", "datagrams_to_client", "end_reason", "route");
    }

    @Test
    void aFlowWithoutTargetLeavesTheKeyOut() throws Exception {
        FlowRecord r = new FlowRecord(FlowRecord.Event.END, "web", "tcp", at("192.0.2.7", 1), at("10.0.0.1", 2),
                null, START, 1_000, 10, 0, -1, -1, EndReason.NO_TARGET, null);
        assertThat(parse(JSON.format(r))).doesNotContainKey("target").containsEntry("duration_ms", 0.001);
        assertThat(LOGFMT.format(r)).doesNotContain("target=");
    }

    @Test
    void logfmtIsKeyValuePairsInTheSameOrder() throws Exception {
        String line = LOGFMT.format(udpEnd(EndReason.TARGET_UNREACHABLE, "stun_server_id"));
        assertThat(line).isEqualTo("time=2025-12-05T00:00:02.623Z event=end listener=media protocol=udp"
                + " client=192.0.2.7:40000 local=10.0.0.1:7000 target=10.0.1.10:7000 start=2025-12-05T00:00:00.123Z"
                + " duration_ms=2500.123 bytes_from_client=1200 bytes_to_client=3400 datagrams_from_client=3"
                + " datagrams_to_client=4 end_reason=target_unreachable route=stun_server_id\n");
    }

    @Test
    void stringsAreEscapedInBothFormats() throws Exception {
        String name = "a \"b\"\\c\n=\u0001";
        FlowRecord r = new FlowRecord(FlowRecord.Event.END, name, "udp", InetSocketAddress.createUnresolved("h x", 1),
                null, null, START, 0, 0, 0, 0, 0, EndReason.SHUTDOWN, null);
        assertThat(parse(JSON.format(r))).containsEntry("listener", name).containsEntry("client", "h x:1");
        assertThat(logfmt(LOGFMT.format(r))).containsEntry("listener", name).containsEntry("client", "h x:1");
    }

    @Test
    void timesAreUtcWithThreeFractionDigitsWhateverTheOrder() {
        FlowRecordFormat f = new FlowRecordFormat(FlowLogConfig.Format.JSON);
        assertThat(f.time(START)).isEqualTo("2025-12-05T00:00:00.123Z");
        assertThat(f.time(START + 877)).isEqualTo("2025-12-05T00:00:01.000Z");
        assertThat(f.time(START - 118)).isEqualTo("2025-12-05T00:00:00.005Z");
        assertThat(f.time(START - 124)).isEqualTo("2025-12-04T23:59:59.999Z");
        assertThat(f.time(0)).isEqualTo("1970-01-01T00:00:00.000Z");
        assertThat(f.time(-1)).isEqualTo("1969-12-31T23:59:59.999Z");
    }

    @Test
    void millisecondsKeepMicroseconds() {
        assertThat(FlowRecordFormat.millis(0)).isEqualTo("0.000");
        assertThat(FlowRecordFormat.millis(1_000)).isEqualTo("0.001");
        assertThat(FlowRecordFormat.millis(12_345_678)).isEqualTo("12.345");
        assertThat(FlowRecordFormat.millis(-5)).isEqualTo("0.000");
    }

    /** A small logfmt reader (quoted values with backslash escapes), enough to read our lines back. */
    static Map<String, String> logfmt(String line) {
        assertThat(line).endsWith("\n").hasLineCount(1);
        Map<String, String> out = new LinkedHashMap<>();
        int i = 0;
        String s = line.substring(0, line.length() - 1);
        while (i < s.length()) {
            int eq = s.indexOf('=', i);
            String key = s.substring(i, eq);
            i = eq + 1;
            StringBuilder v = new StringBuilder();
            if (i < s.length() && s.charAt(i) == '"') {
                i++;
                while (s.charAt(i) != '"') {
                    char c = s.charAt(i++);
                    if (c == '\\') {
                        char e = s.charAt(i++);
                        switch (e) {
                            case 'n' -> v.append('\n');
                            case 'r' -> v.append('\r');
                            case 't' -> v.append('\t');
                            case 'u' -> {
                                v.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                                i += 4;
                            }
                            default -> v.append(e);
                        }
                    } else {
                        v.append(c);
                    }
                }
                i++;
            } else {
                while (i < s.length() && s.charAt(i) != ' ') {
                    v.append(s.charAt(i++));
                }
            }
            out.put(key, v.toString());
            i++;
        }
        assertThat(Arrays.asList(out.keySet().toArray())).doesNotHaveDuplicates();
        return out;
    }
}
