package io.wavelb.core.takeover;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The new process's end of a takeover: connects to the running process's control socket and
 * walks the conversation {@link TakeoverProtocol} describes, one call per step. Descriptors
 * received are the caller's.
 */
public final class TakeoverClient implements AutoCloseable {

    /** Each answer of the running process must come within this. */
    static final Duration STEP = Duration.ofSeconds(10);

    /** The running process said no; nothing moved and it serves on. */
    public static final class Refused extends Exception {
        public Refused(String reason) {
            super(reason);
        }
    }

    private final EventLoopGroup group;
    private final ControlChannel channel;

    private TakeoverClient(EventLoopGroup group, ControlChannel channel) {
        this.group = group;
        this.channel = channel;
    }

    /**
     * @throws IOException naming the socket when no process answers on it
     */
    public static TakeoverClient connect(Path socket) throws IOException {
        if (!Files.exists(socket)) {
            throw new IOException("no running wavelb to take over: " + socket + " does not exist (is runtime.state_dir"
                    + " the same as the running one's?)");
        }
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("wavelb-takeover", true),
                EpollIoHandler.newFactory());
        CompletableFuture<ControlChannel> active = new CompletableFuture<>();
        ChannelFuture f = new Bootstrap().group(group).channel(EpollDomainSocketChannel.class)
                .handler(ControlChannel.initializer(active::complete))
                .connect(new DomainSocketAddress(socket.toString()));
        try {
            if (!f.awaitUninterruptibly(STEP.toMillis()) || !f.isSuccess()) {
                throw new IOException("no running wavelb answers on " + socket + ": "
                        + (f.cause() == null ? "timed out" : f.cause().getMessage()));
            }
            return new TakeoverClient(group, active.get(STEP.toMillis(), TimeUnit.MILLISECONDS));
        } catch (IOException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        } catch (Exception e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new IOException("cannot connect to " + socket + ": " + e, e);
        }
    }

    /** Whether a process answers on {@code socket} (connects, says nothing, leaves). */
    static boolean answers(Path socket) {
        try (TakeoverClient probe = connect(socket)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Asks to take over; the running process answers with its listener sockets' manifest.
     *
     * @throws Refused when it will not (busy, another protocol version)
     */
    public TakeoverProtocol.Listeners hello() throws IOException, TakeoverProtocol.ProtocolException, Refused {
        return hello(TakeoverProtocol.VERSION);
    }

    /** As {@link #hello()}, speaking protocol {@code version} (tests: what another version is told). */
    TakeoverProtocol.Listeners hello(int version) throws IOException, TakeoverProtocol.ProtocolException, Refused {
        channel.send(new TakeoverProtocol.Hello(version, ProcessHandle.current().pid()), STEP);
        return expect(TakeoverProtocol.Listeners.class, "the listener manifest");
    }

    /**
     * The running process's next message, which must be a {@code type}.
     *
     * @throws Refused when it said no ("refused") or gave up ("failed"): it serves on
     */
    private <T extends TakeoverProtocol.Message> T expect(Class<T> type, String what)
            throws IOException, TakeoverProtocol.ProtocolException, Refused {
        TakeoverProtocol.Message m = channel.receive(STEP);
        if (m instanceof TakeoverProtocol.Refused r) {
            throw new Refused(r.reason());
        }
        if (m instanceof TakeoverProtocol.Failed f) {
            throw new Refused(f.reason());
        }
        if (!type.isInstance(m)) {
            throw new IOException("expected " + what + ", got " + m.getClass().getSimpleName());
        }
        return type.cast(m);
    }

    /**
     * Asks for and receives {@code count} descriptors, in chunks of {@link TakeoverProtocol#FDS_PER_ASK};
     * fewer when the running process went away meanwhile.
     */
    public List<Integer> descriptors(int count) throws IOException {
        List<Integer> fds = new ArrayList<>(Math.min(count, 1 << 16));
        while (fds.size() < count) {
            int ask = Math.min(TakeoverProtocol.FDS_PER_ASK, count - fds.size());
            channel.expectDescriptors();
            try {
                channel.send(new TakeoverProtocol.SendFds(ask), STEP);
            } catch (IOException e) {
                break; // the running process went away: what arrived is what there is
            }
            List<Integer> chunk = channel.receiveDescriptors(ask, STEP);
            fds.addAll(chunk);
            if (chunk.size() < ask) {
                break;
            }
        }
        return fds;
    }

    /** This process is built, its listeners unread: the running one stops reading and sends its sessions. */
    public TakeoverProtocol.Sessions ready() throws IOException, TakeoverProtocol.ProtocolException, Refused {
        channel.send(new TakeoverProtocol.Ready(), STEP);
        return expect(TakeoverProtocol.Sessions.class, "the sessions");
    }

    /** The snapshot is in: the running process stops reading and sends what changed since. */
    public TakeoverProtocol.Delta prepared() throws IOException, TakeoverProtocol.ProtocolException, Refused {
        channel.send(new TakeoverProtocol.Prepared(), STEP);
        return expect(TakeoverProtocol.Delta.class, "the sessions' changes");
    }

    /** Everything is in; the running process closes its copies, its admin endpoint and control socket. */
    public void taken(int listeners, int sessions) throws IOException {
        channel.send(new TakeoverProtocol.Taken(listeners, sessions), STEP);
    }

    /** Waits for the running process to have let go; false when it went away without saying so. */
    public boolean released() {
        try {
            return channel.receive(STEP) instanceof TakeoverProtocol.Released;
        } catch (IOException | TakeoverProtocol.ProtocolException e) {
            return false;
        }
    }

    /** {@code wavelb upgrade}: asks the running process to start its successor; its answer once that took over (or not). */
    public TakeoverProtocol.Upgraded upgrade() throws IOException, TakeoverProtocol.ProtocolException {
        channel.send(new TakeoverProtocol.Upgrade(), STEP);
        TakeoverProtocol.Message m = channel.receive(ControlServer.UPGRADE.plus(STEP));
        if (m instanceof TakeoverProtocol.Upgraded u) {
            return u;
        }
        throw new IOException("expected the upgrade's outcome, got " + m.getClass().getSimpleName());
    }

    /** This process gives up; the running one serves on. */
    public void failed(String reason) {
        try {
            channel.send(new TakeoverProtocol.Failed(reason), STEP);
        } catch (IOException e) {
            // it will see the connection close instead
        }
    }

    @Override
    public void close() {
        channel.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
