package io.wavelb.core.listener;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.unix.Errors;
import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The handler of a server (accept) channel that deals with failed accepts. Without it, Netty's
 * acceptor pauses accepting for one second and passes the error on to the tail of the pipeline,
 * which logs "An exceptionCaught() event was fired, and it reached at the tail" every second
 * without saying why. Here the cause is named (EMFILE: this process is at RLIMIT_NOFILE; ENFILE:
 * the whole system is; ENOMEM / ENOBUFS: the kernel is short of memory), counted, and logged at
 * most once per {@link #LOG_INTERVAL_SECONDS} with how many there were since.
 *
 * <p>Accepting pauses for {@link #PAUSE_MILLIS}: the pending connection stays in the backlog and
 * a level-triggered poll would otherwise report it again at once, in a busy loop. A
 * {@code freeSome} that frees something (a descriptor reserve) skips the pause.
 */
@ChannelHandler.Sharable
public final class AcceptFailures extends ChannelInboundHandlerAdapter {

    public static final long LOG_INTERVAL_SECONDS = 10;
    public static final long PAUSE_MILLIS = 1000;

    private final String what;
    private final RateLimitedLog log;
    private final Supplier<String> freeSome;
    private final AtomicLong failures = new AtomicLong();
    private final Runnable counted;

    /**
     * @param what     the socket, for the log ({@code admin}, {@code listener 'edge' (tcp)})
     * @param freeSome called on a failure; when it freed something it says what (for the log), and
     *                 accept is retried at once; null when it freed nothing
     * @param counted  called once per failure (a metric)
     */
    public AcceptFailures(String what, System.Logger logger, Supplier<String> freeSome, Runnable counted) {
        this.what = what;
        this.log = new RateLimitedLog(logger, TimeUnit.SECONDS.toNanos(LOG_INTERVAL_SECONDS));
        this.freeSome = freeSome;
        this.counted = counted;
    }

    public AcceptFailures(String what, System.Logger logger) {
        this(what, logger, () -> null, () -> { });
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        long failed = failures.incrementAndGet();
        counted.run();
        String freed = freeSome.get();
        log.warn(what + ": cannot accept a connection: " + describe(cause)
                + (freed != null ? "; " + freed : "; accepting again in " + PAUSE_MILLIS + "ms") + " ("
                + failed + " failed accepts so far)");
        if (freed != null) {
            ctx.channel().read();
            return;
        }
        if (ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(false);
            // Only the channel's own loop shutting down cancels this, and then the channel is gone too.
            ctx.channel().eventLoop().schedule(() -> ctx.channel().config().setAutoRead(true),
                    PAUSE_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private static final int ENFILE = 23;
    private static final int EMFILE = 24;

    /**
     * Whether a socket could not be made or accepted for want of a descriptor (EMFILE: this process
     * is at RLIMIT_NOFILE; ENFILE: the host is), anywhere in {@code cause}'s chain: Netty wraps the
     * native error in a ChannelException, NIO says it in a SocketException's message. Such a
     * failure is this host's, never a target's.
     */
    public static boolean outOfDescriptors(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof Errors.NativeIoException e && (-e.expectedErr() == EMFILE || -e.expectedErr() == ENFILE)) {
                return true;
            }
            if (t.getMessage() != null && t.getMessage().contains("Too many open files")) {
                return true;
            }
        }
        return false;
    }

    /** The errno behind a failed accept or socket call, as an operator can act on it. */
    public static String describe(Throwable cause) {
        String m = String.valueOf(cause.getMessage());
        String lower = m.toLowerCase(Locale.ROOT);
        if (lower.contains("too many open files in system")) {
            return m + " (ENFILE: the system-wide file table is full, fs.file-max)";
        }
        if (lower.contains("too many open files")) {
            return m + " (EMFILE: this process is at its descriptor limit, RLIMIT_NOFILE / LimitNOFILE=)";
        }
        if (lower.contains("cannot allocate memory")) {
            return m + " (ENOMEM: the kernel is short of memory)";
        }
        if (lower.contains("no buffer space")) {
            return m + " (ENOBUFS: the kernel is short of socket buffers)";
        }
        return cause instanceof IOException ? m : cause.toString();
    }
}
