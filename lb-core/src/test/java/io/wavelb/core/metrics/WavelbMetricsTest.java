package io.wavelb.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.stats.ListenerStats;
import io.wavelb.core.stats.LoopCounters;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class WavelbMetricsTest {

    @Test
    void aScrapeShowsExactlyWhatTheLoopsCountedSummedAcrossLoops() throws Exception {
        try (WavelbMetrics metrics = new WavelbMetrics()) {
            ListenerStats stats = new ListenerStats("edge");
            metrics.addListener(stats, "udp", () -> 7);
            // two "event loops": two threads, each with its own single-writer counters
            Thread a = new Thread(() -> {
                LoopCounters c = stats.forCurrentLoop();
                c.add(ListenerCounter.BYTES_RX, 1000);
                c.increment(ListenerCounter.DATAGRAMS_RX);
                c.increment(ListenerCounter.DROPPED_OVERSIZE);
            });
            Thread b = new Thread(() -> {
                LoopCounters c = stats.forCurrentLoop();
                c.add(ListenerCounter.BYTES_RX, 234);
                c.increment(ListenerCounter.DATAGRAMS_RX);
                c.increment(ListenerCounter.CLOSED_IDLE);
            });
            a.start();
            b.start();
            a.join();
            b.join();
            String s = metrics.scrape(null).body();
            assertThat(s).contains("wavelb_bytes_total{direction=\"rx\",listener=\"edge\"} 1234.0")
                    .contains("wavelb_datagrams_total{direction=\"rx\",listener=\"edge\"} 2.0")
                    .contains("wavelb_dropped_total{listener=\"edge\",reason=\"oversize\"} 1.0")
                    .contains("wavelb_udp_sessions_closed_total{listener=\"edge\",reason=\"idle\"} 1.0")
                    .contains("wavelb_udp_sessions{listener=\"edge\"} 7.0");
        }
    }

    @Test
    void removingAListenerRemovesEveryOneOfItsSeries() {
        try (WavelbMetrics metrics = new WavelbMetrics()) {
            metrics.addListener(new ListenerStats("gone"), "udp", () -> 0);
            metrics.addListener(new ListenerStats("kept"), "tcp", () -> 0);
            assertThat(metrics.scrape(null).body()).contains("listener=\"gone\"");
            metrics.removeListener("gone");
            String s = metrics.scrape(null).body();
            assertThat(s).doesNotContain("listener=\"gone\"").contains("listener=\"kept\"");
        }
    }

    @Test
    void targetMetersAndHealthCheckCountersComeAndGoWithTheTarget() {
        try (WavelbMetrics metrics = new WavelbMetrics()) {
            AtomicInteger healthy = new AtomicInteger(1);
            WavelbMetrics.TargetMeters t = metrics.addTarget("g", "10.0.0.1:7000", healthy::get, () -> 3);
            t.healthCheck("timeout");
            t.healthCheck("timeout");
            t.healthCheck("something-unexpected");
            healthy.set(0);
            String s = metrics.scrape(null).body();
            assertThat(s).contains("wavelb_target_healthy{target=\"10.0.0.1:7000\",target_group=\"g\"} 0.0")
                    .contains("wavelb_target_flows{target=\"10.0.0.1:7000\",target_group=\"g\"} 3.0")
                    .contains("wavelb_health_checks_total{result=\"timeout\",target=\"10.0.0.1:7000\",target_group=\"g\"} 2.0")
                    .contains("wavelb_health_checks_total{result=\"error\",target=\"10.0.0.1:7000\",target_group=\"g\"} 1.0")
                    .contains("wavelb_health_checks_total{result=\"success\",target=\"10.0.0.1:7000\",target_group=\"g\"} 0.0");
            assertThat(metrics.target("g", "10.0.0.1:7000")).isSameAs(t);
            t.remove();
            assertThat(metrics.scrape(null).body()).doesNotContain("10.0.0.1:7000");
            assertThat(metrics.target("g", "10.0.0.1:7000")).isNull();
        }
    }
}
