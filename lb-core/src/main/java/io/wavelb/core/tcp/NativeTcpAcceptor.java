package io.wavelb.core.tcp;

import io.netty.channel.Channel;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.NativeInetAddress;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannel;
import io.wavelb.core.listener.AcceptFailures;
import io.wavelb.core.listener.RateLimitedLog;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.transport.SocketCopy;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * Accepts a TCP listener member's connections for {@link NativeTcpConnection}s. The listening
 * socket stays the Netty server channel's (binding, socket activation and takeover go on as they
 * are), but that channel never reads: this handle polls a second descriptor of the same socket on
 * the same loop and takes up to {@link #ACCEPTS_PER_WAKEUP} connections per wake-up, each an
 * {@code accept4} that returns the client's address: no channel is made for it.
 */
final class NativeTcpAcceptor implements EpollIoHandle {

    static final int ACCEPTS_PER_WAKEUP = 16;

    private static final System.Logger LOG = System.getLogger(NativeTcpAcceptor.class.getName());

    private final TcpListener listener;
    private final NativeTcpLoop shared;
    private final SocketCopy copy;
    private final Socket socket;
    /** The listening address; when it is a wildcard, each accepted socket is asked its own. */
    private final InetSocketAddress bound;
    private final byte[] peer = new byte[26];
    private final RateLimitedLog failures;
    private long failed;
    /** Whether the listener accepts (a takeover pauses it). */
    private boolean reading;
    /** Accepting paused for {@link AcceptFailures#PAUSE_MILLIS} after a failed accept. */
    private boolean backingOff;
    private boolean closed;

    private NativeTcpAcceptor(TcpListener listener, NativeTcpLoop shared, SocketCopy copy, InetSocketAddress bound) {
        this.listener = listener;
        this.shared = shared;
        this.copy = copy;
        this.socket = copy.socket();
        this.bound = bound;
        this.failures = new RateLimitedLog(LOG, TimeUnit.SECONDS.toNanos(AcceptFailures.LOG_INTERVAL_SECONDS));
    }

    /**
     * Polls a second descriptor of {@code server}'s socket on {@code shared}'s loop, the calling
     * thread's; accepting at once when {@code reading}. Accepted sockets inherit TCP_NODELAY, set here
     * on the listening socket.
     */
    static NativeTcpAcceptor open(TcpListener listener, NativeTcpLoop shared, Channel server, boolean reading)
            throws IOException {
        SocketCopy copy = SocketCopy.of(((UnixChannel) server).fd().intValue());
        NativeTcpAcceptor acceptor = new NativeTcpAcceptor(listener, shared, copy, (InetSocketAddress) server.localAddress());
        try {
            copy.socket().setTcpNoDelay(true);
            copy.register(shared.loop, acceptor, "a TCP listening socket");
            acceptor.reading(reading);
            return acceptor;
        } catch (IOException | RuntimeException e) {
            acceptor.close();
            throw e;
        }
    }

    IoEventLoop loop() {
        return shared.loop;
    }

    @Override
    public FileDescriptor fd() {
        return socket;
    }

    @Override
    public void handle(IoRegistration registration, IoEvent event) {
        for (int i = 0; i < ACCEPTS_PER_WAKEUP && reading && !backingOff && !closed; i++) {
            int fd;
            try {
                fd = socket.accept(peer);
            } catch (IOException e) {
                backOff(e);
                return;
            }
            if (fd < 0) {
                return;
            }
            accepted(fd);
        }
    }

    private void accepted(int fd) {
        InetSocketAddress from = NativeInetAddress.address(peer, 1, peer[0]);
        TcpListener.Admission admission = listener.admit(from.getAddress(), shared.counters);
        if (!admission.admitted()) {
            closeQuietly(fd);
            return;
        }
        InetSocketAddress to = bound;
        if (bound.getAddress().isAnyLocalAddress()) {
            // The address the client connected to, for the flow hash and the PROXY header.
            to = new Socket(fd).localAddress();
        }
        NativeTcpConnection.start(listener, shared, fd, from, to, admission.counted());
    }

    private static void closeQuietly(int fd) {
        try {
            new FileDescriptor(fd).close();
        } catch (IOException e) {
            // nothing more to do with it
        }
    }

    /**
     * A failed accept (EMFILE, ENFILE, ENOMEM): said and counted, and accepting pauses for
     * {@link AcceptFailures#PAUSE_MILLIS}; the connection waits in the backlog (a level-triggered
     * poll would report it again at once, in a busy loop).
     */
    private void backOff(IOException cause) {
        failed++;
        shared.counters.increment(ListenerCounter.TCP_ACCEPT_FAILURES);
        failures.warn("listener '" + listener.config().name() + "' (tcp): cannot accept a connection: " + AcceptFailures.describe(cause)
                + "; accepting again in " + AcceptFailures.PAUSE_MILLIS + "ms (" + failed + " failed accepts so far)");
        backingOff = true;
        copy.pollIn(false);
        shared.loop.schedule(() -> {
            backingOff = false;
            reading(reading);
        }, AcceptFailures.PAUSE_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Starts or stops accepting (a takeover's pause, resume). On the loop. */
    void reading(boolean read) {
        reading = read;
        if (!backingOff) {
            copy.pollIn(read);
        }
    }

    /** Stops polling and closes this descriptor ({@link SocketCopy#close}); the socket stays open through the channel's. */
    @Override
    public void close() {
        closed = true;
        copy.close();
    }
}
