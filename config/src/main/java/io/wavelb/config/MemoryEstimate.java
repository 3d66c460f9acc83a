package io.wavelb.config;

import java.util.Locale;
import java.util.Optional;

/**
 * The heap a config needs at its limits, estimated from what grows with it, so {@code check-config}
 * and {@code run} refuse a config the JVM cannot hold instead of dying of OutOfMemoryError minutes
 * later. Pure arithmetic over the config; the caller passes the heap ({@code Runtime.maxMemory()} of
 * the JVM that will run it: {@code bin/wavelb} gives {@code check-config} and {@code run} the same
 * {@code -Xmx}).
 *
 * <p>The figures were measured on the heap after a full GC (JDK 25, G1), see the constants.
 * Direct memory is not estimated: it holds datagrams and TCP buffers, which follow the traffic,
 * not the config. TCP connections have no config cap, so they are not estimated either.
 *
 * @param targets         targets over all groups
 * @param groups          target groups
 * @param maglevSlots     Maglev table slots over the groups that use Maglev
 * @param udpSessions     the sum of {@code udp.max_sessions} over the listeners that carry UDP
 * @param udpListeners    listeners that carry UDP
 */
public record MemoryEstimate(long targets, int groups, long maglevSlots, int maglevGroups, long udpSessions,
                             int udpListeners) {

    private static final long MIB = 1L << 20;
    /** Runtime, Netty, Micrometer and the admin server with no targets (3 MiB measured) plus slack. */
    public static final long BASE_BYTES = 32 * MIB;
    /** Per target: its meters (~10 Micrometer meters with their tags), health and outlier state (5.9 KiB measured). */
    public static final long BYTES_PER_TARGET = 6 * 1024;
    /**
     * Per Maglev slot: an int entry, twice, because a rebuild (health change, ejection, reload) fills
     * the new table while the published one is still in use.
     */
    public static final long BYTES_PER_MAGLEV_SLOT = 2 * Integer.BYTES;
    /** Per idle UDP session: its session object, table entries and socket wrapper (46.5 MiB per 100k measured). */
    public static final long BYTES_PER_UDP_SESSION = 488;
    /**
     * The share of the heap the estimate may use: the rest is for garbage between collections
     * (metrics scrapes, reload parsing, per-flow objects) so G1 does not run back to back.
     */
    public static final int USABLE_HEAP_PERCENT = 75;

    public static MemoryEstimate of(WavelbConfig config) {
        long targets = 0;
        long slots = 0;
        int maglevGroups = 0;
        for (TargetGroupConfig g : config.targetGroups()) {
            targets += g.targets().size();
            if (g.algorithm() == Algorithm.MAGLEV || g.algorithm() == Algorithm.SOURCE_IP) {
                slots += g.maglevTableSize();
                maglevGroups++;
            }
        }
        long sessions = 0;
        int udpListeners = 0;
        for (ListenerConfig l : config.listeners()) {
            if (l.protocol().carriesUdp()) {
                sessions += l.udp().maxSessions();
                udpListeners++;
            }
        }
        return new MemoryEstimate(targets, config.targetGroups().size(), slots, maglevGroups, sessions, udpListeners);
    }

    public long targetBytes() {
        return targets * BYTES_PER_TARGET;
    }

    public long maglevBytes() {
        return maglevSlots * BYTES_PER_MAGLEV_SLOT;
    }

    public long udpSessionBytes() {
        return udpSessions * BYTES_PER_UDP_SESSION;
    }

    public long totalBytes() {
        return BASE_BYTES + targetBytes() + maglevBytes() + udpSessionBytes();
    }

    /** The smallest {@code -Xmx} that holds this config. */
    public long heapNeeded() {
        return Math.ceilDiv(totalBytes() * 100, USABLE_HEAP_PERCENT);
    }

    /** True when the UDP session tables, rather than the target groups, are the larger part. */
    public boolean sessionsDominate() {
        return udpSessionBytes() > targetBytes() + maglevBytes();
    }

    /**
     * Why a JVM with {@code maxHeapBytes} of heap cannot run this config, with the figures; empty
     * when it fits.
     */
    public Optional<String> refusal(long maxHeapBytes) {
        if (heapNeeded() <= maxHeapBytes) {
            return Optional.empty();
        }
        return Optional.of("needs ~" + size(totalBytes()) + " of heap at its limits: "
                + targets + " targets in " + groups + " group(s) ~" + size(targetBytes())
                + " (~6 KiB each: meters, health state), "
                + "Maglev tables ~" + size(maglevBytes()) + " (" + maglevGroups + " table(s), " + maglevSlots
                + " slots, 8 B each while a rebuild runs), "
                + "UDP sessions ~" + size(udpSessionBytes()) + " (max_sessions " + udpSessions + " over " + udpListeners
                + " listener(s), ~" + BYTES_PER_UDP_SESSION + " B each), base ~" + size(BASE_BYTES)
                + "; the JVM has " + size(maxHeapBytes) + " of heap (-Xmx) and wavelb plans on " + USABLE_HEAP_PERCENT
                + "% of it: raise -Xmx to at least " + size(heapNeeded()) + " (JAVA_OPTS=-Xmx...), or lower "
                + (sessionsDominate() ? "udp.max_sessions, targets or maglev_table_size"
                        : "targets, maglev_table_size or udp.max_sessions"));
    }

    /** {@code 512 MiB}, {@code 1.9 GiB}: what an operator compares with -Xmx. */
    static String size(long bytes) {
        if (bytes >= 1L << 30) {
            return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
        }
        return Math.ceilDiv(bytes, MIB) + " MiB";
    }
}
