package io.wavelb.core.systemd;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.wavelb.core.listener.RateLimitedLog;
import io.wavelb.core.transport.BoundedWait;
import io.wavelb.core.transport.LoopStop;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The sd_notify protocol spoken directly (no libsystemd): datagrams of {@code KEY=value} lines to
 * the Unix socket named by {@code $NOTIFY_SOCKET}, for {@code Type=notify} / {@code notify-reload}
 * units. Without {@code $NOTIFY_SOCKET} every call does nothing, so the same binary runs anywhere.
 *
 * <p>The watchdog ({@code $WATCHDOG_USEC}) is fed only while the balancer's liveness (the same
 * signal {@code /healthz} answers from: every data-plane event loop beating, nothing reporting
 * itself stuck) has no reason against it: a loop stuck in a busy spin or a blocking call stops the
 * pings, and systemd restarts the process — which is what the watchdog is for.
 */
public final class SdNotify implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(SdNotify.class.getName());

    private final EventLoopGroup loop;
    private final Channel channel;
    private final long watchdogUsec;
    private ScheduledExecutorService watchdog;

    private SdNotify(EventLoopGroup loop, Channel channel, long watchdogUsec) {
        this.loop = loop;
        this.channel = channel;
        this.watchdogUsec = watchdogUsec;
    }

    /** Disabled (every call a no-op) unless {@code NOTIFY_SOCKET} names a socket this process can reach. */
    public static SdNotify fromEnvironment(Map<String, String> env) {
        String socket = env.get("NOTIFY_SOCKET");
        if (socket == null || socket.isEmpty()) {
            return new SdNotify(null, null, 0);
        }
        if (socket.startsWith("@")) {
            LOG.log(System.Logger.Level.WARNING, "NOTIFY_SOCKET " + socket + " is in the abstract namespace, which this "
                    + "transport cannot address; not notifying systemd (use a path socket)");
            return new SdNotify(null, null, 0);
        }
        if (!Epoll.isAvailable()) {
            LOG.log(System.Logger.Level.WARNING, "NOTIFY_SOCKET is set but the epoll transport is unavailable; not notifying systemd");
            return new SdNotify(null, null, 0);
        }
        long watchdogUsec = 0;
        String usec = env.get("WATCHDOG_USEC");
        String pid = env.get("WATCHDOG_PID");
        if (usec != null && (pid == null || pid.equals(Long.toString(ProcessHandle.current().pid())))) {
            try {
                watchdogUsec = Long.parseLong(usec);
            } catch (NumberFormatException e) {
                LOG.log(System.Logger.Level.WARNING, "ignoring WATCHDOG_USEC=" + usec + ": not a number");
            }
        }
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("wavelb-sd-notify", true),
                EpollIoHandler.newFactory());
        EpollDomainDatagramChannel ch = new EpollDomainDatagramChannel();
        ChannelFuture f = group.register(ch).awaitUninterruptibly();
        if (f.isSuccess()) {
            f = ch.connect(new DomainSocketAddress(socket)).awaitUninterruptibly();
        }
        if (!f.isSuccess()) {
            LOG.log(System.Logger.Level.WARNING, "cannot reach NOTIFY_SOCKET " + socket + ": " + f.cause());
            ch.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            return new SdNotify(null, null, 0);
        }
        return new SdNotify(group, ch, watchdogUsec);
    }

    /** The notify socket's own event loop, or null without NOTIFY_SOCKET (tests hold it to stand for a stuck one). */
    EventLoopGroup loop() {
        return loop;
    }

    public boolean enabled() {
        return channel != null;
    }

    /** Sends the lines as one datagram; failures are logged, never thrown (systemd may be gone). */
    public void send(String... lines) {
        if (channel == null) {
            return;
        }
        String msg = String.join("\n", lines) + "\n";
        channel.writeAndFlush(Unpooled.copiedBuffer(msg, StandardCharsets.UTF_8)).addListener(f -> {
            if (!f.isSuccess()) {
                LOG.log(System.Logger.Level.WARNING, "sd_notify failed: " + f.cause());
            }
        });
    }

    public void ready(String status) {
        send("READY=1", "STATUS=" + status);
    }

    /** Type=notify-reload wants the monotonic time of the reload start; System.nanoTime is CLOCK_MONOTONIC. */
    public void reloading() {
        send("RELOADING=1", "MONOTONIC_USEC=" + System.nanoTime() / 1000, "STATUS=reloading");
    }

    public void stopping(String status) {
        send("STOPPING=1", "STATUS=" + status);
    }

    public void status(String status) {
        send("STATUS=" + status);
    }

    /**
     * Starts feeding the watchdog at half its period, as sd_watchdog_enabled(3) advises, while
     * {@code stuck} (which must not block) returns no reason.
     */
    public void startWatchdog(Supplier<List<String>> stuck) {
        if (channel == null || watchdogUsec <= 0) {
            return;
        }
        long periodMicros = Math.max(1000, watchdogUsec / 2);
        watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "wavelb-watchdog");
            t.setDaemon(true);
            return t;
        });
        RateLimitedLog log = new RateLimitedLog(LOG, TimeUnit.SECONDS.toNanos(10));
        watchdog.scheduleAtFixedRate(() -> {
            List<String> reasons = stuck.get();
            if (!reasons.isEmpty()) {
                log.warn("not feeding the systemd watchdog: " + String.join("; ", reasons));
                return;
            }
            send("WATCHDOG=1");
        }, 0, periodMicros, TimeUnit.MICROSECONDS);
    }

    /** How long {@link #close} waits for the notify loop at each step: a stuck one must not keep the process from stopping. */
    static final Duration CLOSE_STEP = Duration.ofSeconds(5);

    @Override
    public void close() {
        if (watchdog != null) {
            watchdog.shutdownNow();
        }
        if (channel != null) {
            BoundedWait.await(channel.close(), CLOSE_STEP, LOG, "systemd notify: closing NOTIFY_SOCKET");
            LoopStop.stop(loop, Duration.ofSeconds(1), CLOSE_STEP, LOG, "systemd notify: event loop still running");
        }
    }
}
