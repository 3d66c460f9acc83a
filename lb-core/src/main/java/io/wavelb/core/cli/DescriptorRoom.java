package io.wavelb.core.cli;

import java.lang.management.ManagementFactory;

/**
 * Whether this process has descriptors left for what a takeover hands it: each UDP session comes
 * with its socket. Asked before the sockets are sent, so that a new process started with a lower
 * LimitNOFILE than the running one's refuses in words, instead of losing sockets to EMFILE halfway.
 */
final class DescriptorRoom {

    /** Kept free beyond the handed sockets: the new process's own work (new flows, admin, files) once it serves. */
    static final long SPARE = 64;

    private DescriptorRoom() {
    }

    /** Why {@code needed} more descriptors do not fit this process, or null when they do (or when it cannot tell). */
    static String forHandedSockets(long needed) {
        if (!(ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean os)) {
            return null;
        }
        return shortfall(os.getOpenFileDescriptorCount(), os.getMaxFileDescriptorCount(), needed);
    }

    /**
     * Why {@code needed} more descriptors, plus {@link #SPARE}, do not fit between {@code open} and
     * the limit {@code max}; null when they do, or when either count is unknown (negative).
     */
    static String shortfall(long open, long max, long needed) {
        if (open < 0 || max <= 0 || open + needed + SPARE <= max) {
            return null;
        }
        return "this process cannot hold the " + needed + " session socket(s) the running wavelb hands over: it has "
                + open + " descriptors open and may have " + max + " (RLIMIT_NOFILE; LimitNOFILE= in the unit), "
                + SPARE + " of them kept spare; start it with a limit of at least " + (open + needed + SPARE)
                + " (the running process's own limit is a good start)";
    }
}
