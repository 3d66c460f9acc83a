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
    void overloadMetersReadTheBalancersFiguresAtScrapeTime() {
        try (WavelbMetrics metrics = new WavelbMetrics()) {
            AtomicInteger activations = new AtomicInteger();
            metrics.addOverload(new WavelbMetrics.OverloadSource(() -> 32L << 20, () -> 1000,
                    a -> a == io.wavelb.core.overload.OverloadAction.STOP_ACCEPTING, a -> activations.get(), () -> 4096,
                    () -> true));
            activations.set(3);
            String s = metrics.scrape(null).body();
            assertThat(s).contains("wavelb_memory_budget_bytes 3.3554432E7")
                    .contains("wavelb_memory_used_bytes 1000.0")
                    .contains("wavelb_overload_active{action=\"stop_accepting\"} 1.0")
                    .contains("wavelb_overload_active{action=\"shed_connections\"} 0.0")
                    .contains("wavelb_overload_actions_total{action=\"reduce_timeouts\"} 3.0")
                    .contains("wavelb_overload_shed_bytes_total 4096.0")
                    .contains("wavelb_overload_stuck 1.0");
        }
    }

    @Test
    void tcpSocketsAreCountedOnBothSides() {
        try (WavelbMetrics metrics = new WavelbMetrics()) {
            ListenerStats stats = new ListenerStats("web");
            metrics.addListener(stats, "tcp", () -> 0);
            stats.tcpConnections().set(2);
            stats.tcpTargetSockets().set(5);
            assertThat(metrics.scrape(null).body())
                    .contains("wavelb_tcp_sockets{listener=\"web\",side=\"client\"} 2.0")
                    .contains("wavelb_tcp_sockets{listener=\"web\",side=\"target\"} 5.0")
                    .contains("wavelb_dropped_total{listener=\"web\",reason=\"overload\"} 0.0")
                    .contains("wavelb_dropped_total{listener=\"web\",reason=\"no_memory\"} 0.0");
        }
    }

    @Test
    void nettyAllocatorMetricsFollowTheAllocatorChannelsUse() {
        io.netty.buffer.ByteBuf held = io.netty.buffer.ByteBufAllocator.DEFAULT.directBuffer(1 << 20);
        try (WavelbMetrics metrics = new WavelbMetrics()) {
            java.util.regex.Matcher m = java.util.regex.Pattern
                    .compile("(?m)^netty_allocator_memory_used\\{allocator_type=\"AdaptiveByteBufAllocator\"[^}]*memory_type=\"direct\"} ([0-9.E]+)$")
                    .matcher(metrics.scrape(null).body());
            assertThat(m.find()).as("a direct-memory series of the default allocator").isTrue();
            assertThat(Double.parseDouble(m.group(1))).isGreaterThanOrEqualTo(1 << 20);
        } finally {
            held.release();
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
