package io.wavelb.core.admin;

import java.time.Duration;

/**
 * Every bound of the admin endpoint, fixed: the endpoint serves an operator, a scraper and the
 * agent, so nobody needs more, and an attacker on the admin address must not get it by asking
 * for it. The README's admin section lists them.
 */
public final class AdminLimits {

    /** Open admin connections; one more is closed at once and counted ({@code reason="connection_limit"}). */
    public static final int MAX_CONNECTIONS = 64;
    /** The request line (method, path, version). */
    public static final int MAX_REQUEST_LINE = 4096;
    /** All header lines together. */
    public static final int MAX_HEADERS = 8192;
    /** A request that needs no token (the reads) carries no real body; anything past this is refused. */
    public static final int MAX_UNAUTHENTICATED_BODY = 1024;
    /** A mutating request, its token checked first: a target list of ~10,000 entries fits. */
    public static final int MAX_AUTHENTICATED_BODY = 1024 * 1024;
    /** A request must arrive whole (headers and body) within this, and an idle keep-alive connection closes after it. */
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    /**
     * Calls that may block (reload, target changes and the name resolution they do, readiness and
     * target views, which wait for a reload in progress) run on this many worker threads ...
     */
    public static final int WORKERS = 2;
    /** ... with this many waiting; more are answered 503 at once ({@code reason="busy"}). */
    public static final int WORK_QUEUE = 16;
    /** A call without an answer after this gets 503; what it does goes on, and the log says how it ended. */
    public static final Duration WORK_TIMEOUT = Duration.ofSeconds(30);
    /** Descriptors held back for the admin endpoint when the process runs out (see {@link io.wavelb.core.listener.DescriptorReserve}). */
    public static final int RESERVED_DESCRIPTORS = 4;

    private AdminLimits() {
    }
}
