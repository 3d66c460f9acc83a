package io.wavelb.core;

import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.wavelb.core.admin.LoadReport;
import io.wavelb.core.stats.ListenerCounter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Samples the figures of {@code GET /v1/load} when asked (no timer of its own): counters are
 * summed across listeners and turned into rates against the previous sample; a sample younger than
 * {@link #MIN_WINDOW_NANOS} is answered again rather than re-measured, so several pollers cannot
 * shrink each other's window to noise.
 *
 * <p>Event-loop busy fraction: the CPU time each event-loop thread used over the window, divided by
 * the window (ThreadMXBean's per-thread CPU clock, {@code clock_gettime(CLOCK_THREAD_CPUTIME_ID)}
 * on Linux; one system call per loop per sample, nothing on the packet path). A loop blocked in
 * {@code epoll_wait} uses no CPU, so this is the share of time it was working; the busiest loop is
 * reported because SO_REUSEPORT pins each flow to one loop, and the hottest loop saturates first.
 */
final class LoadSampler {

    static final long MIN_WINDOW_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final ReentrantLock lock = new ReentrantLock();
    private final long[] loopThreadIds;
    private long lastNanos;
    private long lastFlows;
    private long lastDatagrams;
    private long lastBytes;
    private final Map<Long, Long> lastCpu = new HashMap<>();
    private LoadReport last;

    LoadSampler(EventLoopGroup loops) {
        List<Long> ids = new ArrayList<>();
        for (EventExecutor e : loops) {
            try {
                ids.add(e.submit(() -> Thread.currentThread().threadId()).get(2, TimeUnit.SECONDS));
            } catch (Exception notAnswered) {
                // A loop that cannot run a task in 2 s is not measured; the others still are.
            }
        }
        loopThreadIds = ids.stream().mapToLong(Long::longValue).toArray();
    }

    /** Counter sums and listener figures, read by the caller (it owns the listener list). */
    record Counters(List<LoadReport.ListenerLoad> listeners, long flows, long datagrams, long bytes) {
    }

    LoadReport sample(Counters now) {
        lock.lock();
        try {
            long t = System.nanoTime();
            if (last != null && t - lastNanos < MIN_WINDOW_NANOS) {
                return new LoadReport(now.listeners(), last.newFlowsPerSecond(), last.datagramsPerSecond(),
                        last.bytesPerSecond(), last.openDescriptors(), last.maxDescriptors(), last.eventLoopBusy(),
                        last.eventLoops(), last.windowSeconds());
            }
            double window = last == null ? 0 : (t - lastNanos) / 1e9;
            double busiest = 0;
            boolean cpu = threads.isThreadCpuTimeSupported();
            for (long id : loopThreadIds) {
                long c = cpu ? threads.getThreadCpuTime(id) : -1;
                Long before = lastCpu.put(id, c);
                if (window > 0 && c >= 0 && before != null && before >= 0) {
                    busiest = Math.max(busiest, Math.min(1.0, (c - before) / 1e9 / window));
                }
            }
            long open = -1;
            long max = -1;
            if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean os) {
                open = os.getOpenFileDescriptorCount();
                max = os.getMaxFileDescriptorCount();
            }
            LoadReport r = new LoadReport(now.listeners(), rate(now.flows() - lastFlows, window),
                    rate(now.datagrams() - lastDatagrams, window), rate(now.bytes() - lastBytes, window), open, max,
                    busiest, loopThreadIds.length, window);
            lastNanos = t;
            lastFlows = now.flows();
            lastDatagrams = now.datagrams();
            lastBytes = now.bytes();
            last = r;
            return r;
        } finally {
            lock.unlock();
        }
    }

    private static double rate(long delta, double window) {
        return window <= 0 ? 0 : Math.max(0, delta) / window;
    }

    /** The counters that make the rates: new flows, datagrams both ways, bytes both ways. */
    static final ListenerCounter[] FLOWS = {ListenerCounter.SESSIONS_CREATED, ListenerCounter.TCP_ACCEPTED};
    static final ListenerCounter[] DATAGRAMS = {ListenerCounter.DATAGRAMS_RX, ListenerCounter.DATAGRAMS_TX};
    static final ListenerCounter[] BYTES = {ListenerCounter.BYTES_RX, ListenerCounter.BYTES_TX};
}
