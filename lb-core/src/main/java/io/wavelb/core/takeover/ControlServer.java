package io.wavelb.core.takeover;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.wavelb.core.listener.AcceptFailures;
import io.wavelb.core.listener.DescriptorReserve;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The running process's end: listens on the control socket (owner-only, in an owner-only
 * directory, and each peer's user id checked against ours) and runs one takeover at a time on a
 * thread of its own, in the order {@link TakeoverProtocol} gives. A takeover that fails or whose
 * peer goes away before it said "taken" leaves this process serving everything it had.
 */
public final class ControlServer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("wavelb");

    /** Each answer of the new process, except the one below, must come within this. */
    static final Duration STEP = Duration.ofSeconds(10);
    /** The new process builds its balancer (event loops, listeners, health) before saying "ready". */
    static final Duration BUILD = Duration.ofSeconds(60);

    /**
     * Fault injection for the tests of a process that dies in the middle of a handover:
     * {@code -Dwavelb.takeover.haltAfter=listeners} halts this process (status 137, as SIGKILL) right
     * after it sent its listener sockets. Read once; nothing else reads it.
     */
    private static final boolean HALT_AFTER_LISTENERS = "listeners".equals(System.getProperty("wavelb.takeover.haltAfter"));

    /**
     * Conversations at once (each has a thread): one takeover, an upgrade and its successor's, a
     * refusal or two; more connections are closed unanswered.
     */
    static final int MAX_CONVERSATIONS = 4;

    /**
     * How long a takeover or upgrade that comes before {@link #open} waits for it (a process opens
     * its control socket just before it binds its listeners): less than the asker waits for an answer.
     */
    static final Duration STARTING_WAIT = Duration.ofSeconds(5);

    /** Why a process that has not {@link #open}ed within {@link #STARTING_WAIT} refuses. */
    static final String STARTING = "this wavelb is still starting (its listeners are not bound yet); try again once it serves";

    /** How long {@code wavelb upgrade} waits for the process it started to have taken over. */
    static final Duration UPGRADE = Duration.ofSeconds(120);

    /** What the running process does once the new one has everything. */
    public interface Events {
        /** {@code wavelb upgrade}: starts the new process (from the installed launcher) that will take over. */
        Process startSuccessor() throws IOException;

        /** Before "released" is sent: close what the new process binds next (the admin endpoint). */
        void handingOver(long newPid);

        /** After: drain what stays here (TCP connections) and exit. */
        void handedOver(long newPid);
    }

    /** One for a takeover's control connection, one for a probe or an upgrade request beside it. */
    static final int RESERVED_DESCRIPTORS = 2;

    private final Path socket;
    private final RunningSide side;
    private final Events events;
    private final TakeoverStats stats;
    private final EventLoopGroup group;
    private final int uid;
    private volatile Channel server;
    private final AtomicBoolean busy = new AtomicBoolean();
    private final AtomicBoolean upgrading = new AtomicBoolean();
    private final Semaphore conversations = new Semaphore(MAX_CONVERSATIONS);
    private final CountDownLatch handedOverLatch = new CountDownLatch(1);
    private volatile long busyWith;
    private volatile boolean handedOver;
    /** Counted down by {@link #open}: until then a takeover or upgrade waits, since the process has no listeners to hand over yet. */
    private final CountDownLatch opened = new CountDownLatch(1);
    private volatile boolean closing;
    /**
     * Descriptors kept for the control connection: a process whose sessions used up its limit must
     * still be replaceable by one started with a higher limit. On the control loop only.
     */
    private final DescriptorReserve reserve = new DescriptorReserve(RESERVED_DESCRIPTORS);

    private ControlServer(Path socket, RunningSide side, Events events, TakeoverStats stats, EventLoopGroup group, int uid) {
        this.socket = socket;
        this.side = side;
        this.events = events;
        this.stats = stats;
        this.group = group;
        this.uid = uid;
    }

    /** Thrown when another wavelb answers on the control socket already. */
    public static final class AlreadyServing extends IOException {
        AlreadyServing(Path socket) {
            super("another wavelb serves from " + socket + " (start this one with --takeover to replace it)");
        }
    }

    /**
     * Listens on {@code socket}, creating its directory (owner-only) when missing. A socket file
     * nobody answers on is a previous process's leftover and is replaced.
     *
     * @throws AlreadyServing when a process answers on it
     * @throws IOException when the directory or socket cannot be made
     */
    public static ControlServer start(Path socket, RunningSide side, Events events, TakeoverStats stats) throws IOException {
        ControlServer control = listen(socket, side, events, stats);
        control.open();
        return control;
    }

    /**
     * As {@link #start(Path, RunningSide, Events, TakeoverStats)}, but takeovers and upgrades wait
     * for {@link #open} (at most {@link #STARTING_WAIT}, then refused): a process that listens here
     * before its own listeners are bound (so that starting this is not in their first second) has
     * nothing to hand over yet.
     */
    public static ControlServer startClosed(Path socket, RunningSide side, Events events, TakeoverStats stats)
            throws IOException {
        return listen(socket, side, events, stats);
    }

    private static ControlServer listen(Path socket, RunningSide side, Events events, TakeoverStats stats) throws IOException {
        Path dir = socket.getParent();
        if (!Files.isDirectory(dir)) {
            try {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (FileAlreadyExistsException e) {
                throw new IOException(dir + " exists and is not a directory");
            }
        }
        if (Files.exists(socket)) {
            if (TakeoverClient.answers(socket)) {
                throw new AlreadyServing(socket);
            }
            Files.deleteIfExists(socket);
        }
        int uid = ownUid();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("wavelb-takeover", true),
                EpollIoHandler.newFactory());
        // Bound under a private name, made owner-only, then renamed into place: the socket is never
        // reachable under its name with wider permissions.
        Path staging = dir.resolve(socket.getFileName() + "." + ProcessHandle.current().pid() + ".new");
        ControlServer control = null;
        try {
            Files.deleteIfExists(staging);
            control = new ControlServer(socket, side, events, stats, group, uid);
            control.holdReserve();
            control.server = new ServerBootstrap().group(group).channel(EpollServerDomainSocketChannel.class)
                    .handler(control.acceptFailures())
                    .childHandler(ControlChannel.initializer(control::accepted))
                    .bind(new DomainSocketAddress(staging.toString())).sync().channel();
            Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rw-------"));
            Files.move(staging, socket, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return control;
        } catch (IOException | RuntimeException e) {
            release(control, group);
            Files.deleteIfExists(staging);
            throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            release(control, group);
            throw new IOException("interrupted");
        }
    }

    static int ownUid() throws IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }

    public Path socket() {
        return socket;
    }

    /** Takes takeovers and upgrades from now on, those waiting too (see {@link #startClosed}). */
    public void open() {
        opened.countDown();
    }

    /** Whether this process takes takeovers: open, or opened within {@link #STARTING_WAIT} (on the conversation's thread). */
    private boolean awaitOpen() {
        try {
            return opened.await(STARTING_WAIT.toMillis(), TimeUnit.MILLISECONDS) && !closing;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Why a takeover or upgrade that {@link #awaitOpen} turned away is refused. */
    private String notOpen() {
        return closing ? "this wavelb is stopping" : STARTING;
    }

    /** On the control loop, for each connection. */
    private void accepted(ControlChannel ch) {
        int peer;
        try {
            peer = ch.peerUid();
        } catch (IOException e) {
            peer = -1;
        }
        // Root may: it can read this process's memory anyway, and `sudo wavelb upgrade` is how an
        // operator reaches a service running as its own (dynamic) user.
        if (peer != uid && peer != 0) {
            stats.refused.incrementAndGet();
            LOG.log(System.Logger.Level.WARNING, "takeover: refused a connection from user id " + peer
                    + " on " + socket + " (only user id " + uid + " or root may take over)");
            ch.channel().close();
            return;
        }
        if (!conversations.tryAcquire()) {
            LOG.log(System.Logger.Level.WARNING, "takeover: " + MAX_CONVERSATIONS
                    + " conversations on the control socket already; closed another");
            ch.channel().close();
            return;
        }
        Thread.ofPlatform().daemon().name("wavelb-takeover").start(() -> {
            try {
                converse(ch);
            } finally {
                conversations.release();
            }
        });
    }

    private void converse(ControlChannel ch) {
        try (ch) {
            TakeoverProtocol.Message first;
            try {
                first = ch.receive(STEP);
            } catch (EOFException e) {
                return; // a liveness probe (TakeoverClient.answers): connected and went
            } catch (ControlChannel.NoAnswer e) {
                // Not a takeover that ended: none had begun. Said so, since "conversation ended"
                // reads as a failed takeover to whoever reads the log.
                LOG.log(System.Logger.Level.WARNING, "takeover: a connection to the control socket said nothing within "
                        + STEP.toSeconds() + " s; closed it (no takeover had begun)");
                return;
            }
            if (first instanceof TakeoverProtocol.Upgrade) {
                upgrade(ch);
                return;
            }
            if (!(first instanceof TakeoverProtocol.Hello hello)) {
                refuse(ch, "expected hello, got " + first.getClass().getSimpleName());
                return;
            }
            if (hello.version() != TakeoverProtocol.VERSION) {
                refuse(ch, "takeover protocol version " + hello.version() + " is not spoken here (this wavelb speaks "
                        + TakeoverProtocol.VERSION + "); both processes keep running as they were");
                return;
            }
            if (!awaitOpen()) {
                refuse(ch, notOpen());
                return;
            }
            if (handedOver) {
                refuse(ch, "this process has already handed over to pid " + busyWith);
                return;
            }
            if (!busy.compareAndSet(false, true)) {
                refuse(ch, "a takeover by pid " + busyWith + " is in progress");
                return;
            }
            try {
                busyWith = hello.pid();
                takeOver(ch, hello.pid());
            } finally {
                if (!handedOver) {
                    busy.set(false);
                }
            }
        } catch (IOException | TakeoverProtocol.ProtocolException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "takeover: conversation ended: " + e.getMessage());
        }
    }

    /**
     * Starts the successor and answers once it has taken over, or has exited, or after
     * {@link #UPGRADE}. The successor runs in this process's service (under systemd: the same
     * unit, which then follows it as its main process).
     */
    private void upgrade(ControlChannel ch) throws IOException {
        if (!awaitOpen()) {
            ch.send(new TakeoverProtocol.Upgraded(false, 0, notOpen()), STEP);
            return;
        }
        if (handedOver || busy.get() || !upgrading.compareAndSet(false, true)) {
            ch.send(new TakeoverProtocol.Upgraded(false, 0, "a takeover or upgrade is already in progress"), STEP);
            return;
        }
        try {
            Process successor;
            try {
                successor = events.startSuccessor();
            } catch (IOException e) {
                ch.send(new TakeoverProtocol.Upgraded(false, 0, "cannot start the new process: " + e.getMessage()), STEP);
                return;
            }
            LOG.log(System.Logger.Level.INFO, "upgrade: started pid " + successor.pid() + " to take over");
            long deadline = System.nanoTime() + UPGRADE.toNanos();
            try {
                while (!handedOverLatch.await(200, TimeUnit.MILLISECONDS)) {
                    if (!successor.isAlive()) {
                        ch.send(new TakeoverProtocol.Upgraded(false, successor.pid(), "the new process (pid "
                                + successor.pid() + ") exited with status " + successor.exitValue()
                                + " before taking over; this one serves on (its log says why)"), STEP);
                        return;
                    }
                    if (System.nanoTime() > deadline) {
                        ch.send(new TakeoverProtocol.Upgraded(false, successor.pid(), "the new process (pid "
                                + successor.pid() + ") has not taken over within " + UPGRADE.toSeconds() + " s"), STEP);
                        return;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            ch.send(new TakeoverProtocol.Upgraded(true, successor.pid(), "pid " + successor.pid() + " took over from pid "
                    + ProcessHandle.current().pid() + ", which exits once its open TCP connections end"), STEP);
        } finally {
            upgrading.set(false);
        }
    }

    private void refuse(ControlChannel ch, String reason) throws IOException {
        stats.refused.incrementAndGet();
        LOG.log(System.Logger.Level.WARNING, "takeover refused: " + reason);
        ch.send(new TakeoverProtocol.Refused(reason), STEP);
    }

    private void takeOver(ControlChannel ch, long pid) throws IOException {
        long started = System.nanoTime();
        stats.started.incrementAndGet();
        LOG.log(System.Logger.Level.INFO, "takeover: pid " + pid + " is taking over; handing over the listener sockets");
        boolean snapshotted = false;
        boolean frozen = false;
        try {
            RunningSide.Offer offer = side.offer();
            ch.send(new TakeoverProtocol.Listeners(ProcessHandle.current().pid(), offer.sockets(), offer.health(),
                    offer.fds().size()), STEP);
            sendAsked(ch, offer.fds());
            if (HALT_AFTER_LISTENERS) {
                Runtime.getRuntime().halt(137); // the descriptors are out: sendDescriptors waited for the write
            }
            expect(ch, TakeoverProtocol.Ready.class, BUILD);
            RunningSide.Sessions snapshot = side.snapshot();
            snapshotted = true;
            ch.send(new TakeoverProtocol.Sessions(snapshot.sessions(), snapshot.fds().size()), STEP);
            sendAsked(ch, snapshot.fds());
            expect(ch, TakeoverProtocol.Prepared.class, STEP);
            long pauseStarted = System.nanoTime();
            RunningSide.Change change = side.freeze();
            frozen = true;
            ch.send(new TakeoverProtocol.Delta(change.closed(), change.opened().sessions(), change.opened().fds().size()), STEP);
            sendAsked(ch, change.opened().fds());
            TakeoverProtocol.Taken taken = expect(ch, TakeoverProtocol.Taken.class, STEP);
            int handedSessions = snapshot.fds().size() - change.closed().size() + change.opened().fds().size();
            int handedSockets = offer.fds().size() + snapshot.fds().size() + change.opened().fds().size();
            handedOver = true;
            stats.lastPauseNanos.set(System.nanoTime() - pauseStarted);
            side.handedOver();
            events.handingOver(pid);
            handedOverLatch.countDown();
            closeServer();
            ch.send(new TakeoverProtocol.Released(), STEP);
            stats.completed.incrementAndGet();
            stats.sessions.addAndGet(handedSessions);
            stats.sockets.addAndGet(handedSockets);
            long took = System.nanoTime() - started;
            stats.lastDurationNanos.set(took);
            LOG.log(System.Logger.Level.INFO, "takeover: handed over to pid " + pid + " in " + took / 1_000_000
                    + " ms (no process reading for " + stats.lastPauseNanos.get() / 1_000_000 + " ms): "
                    + offer.fds().size() + " listener socket(s), " + handedSessions + " UDP session(s) (" + taken.sessions()
                    + " taken; " + change.opened().fds().size() + " opened and " + change.closed().size()
                    + " ended since the snapshot); open TCP connections stay here until they end");
            events.handedOver(pid);
        } catch (Exception e) {
            stats.failed.incrementAndGet();
            if (!handedOver) {
                // Said, not only shown by a closed connection: the new process must tell this from a
                // crash (then it serves what it has) and stop, since this one serves on.
                try {
                    ch.send(new TakeoverProtocol.Failed("the running wavelb gave up: " + e.getMessage()), STEP);
                } catch (IOException gone) {
                    // it will see the connection close
                }
            }
            if (frozen && !handedOver) {
                side.thaw();
            } else if (snapshotted && !handedOver) {
                side.withdraw();
            }
            if (!handedOver) {
                LOG.log(System.Logger.Level.WARNING, "takeover by pid " + pid + " failed (" + e.getMessage()
                        + "); this process serves on with everything it had");
            } else {
                LOG.log(System.Logger.Level.WARNING, "takeover by pid " + pid + ": after handing over: " + e.getMessage());
                events.handedOver(pid);
            }
        }
    }

    /** Sends {@code fds} in the chunks the new process asks for, until all are out. */
    private static void sendAsked(ControlChannel ch, List<Integer> fds) throws IOException, TakeoverProtocol.ProtocolException {
        int sent = 0;
        while (sent < fds.size()) {
            TakeoverProtocol.SendFds ask = expect(ch, TakeoverProtocol.SendFds.class, STEP);
            int end = Math.min(fds.size(), sent + ask.count());
            ch.sendDescriptors(fds.subList(sent, end), STEP);
            sent = end;
        }
    }

    /** The next message, which must be a {@code type}; a "failed" from the new process ends the takeover with its reason. */
    private static <T extends TakeoverProtocol.Message> T expect(ControlChannel ch, Class<T> type, Duration timeout)
            throws IOException, TakeoverProtocol.ProtocolException {
        TakeoverProtocol.Message m = ch.receive(timeout);
        if (m instanceof TakeoverProtocol.Failed f) {
            throw new IOException("the new process gave up: " + f.reason());
        }
        if (!type.isInstance(m)) {
            throw new IOException("expected " + type.getSimpleName() + ", got " + m.getClass().getSimpleName());
        }
        return type.cast(m);
    }

    /** A start that failed: the reserve's descriptors back, the loop stopped. */
    private static void release(ControlServer control, EventLoopGroup group) {
        if (control != null) {
            group.next().execute(control.reserve::close);
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    /** Fills the reserve, and refills it every second on the control loop once descriptors are back. */
    private void holdReserve() {
        group.next().submit(() -> {
            if (!reserve.refill()) {
                LOG.log(System.Logger.Level.WARNING, "takeover: cannot hold " + RESERVED_DESCRIPTORS + " descriptors in"
                        + " reserve; the control socket may not answer when descriptors run out");
            }
            group.next().scheduleWithFixedDelay(reserve::refill, 1, 1, TimeUnit.SECONDS);
        }).syncUninterruptibly();
    }

    /** A failed accept (EMFILE): one reserved descriptor is given back for it, or accepting pauses a second. */
    private AcceptFailures acceptFailures() {
        return new AcceptFailures("takeover control socket", LOG, () -> reserve.releaseOneFor("control socket"), () -> { });
    }

    /** Stops listening and removes the socket file (the new process binds its own there next). */
    private void closeServer() {
        server.close().awaitUninterruptibly(1000);
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "takeover: cannot remove " + socket + ": " + e.getMessage());
        }
    }

    @Override
    public void close() {
        closing = true;
        opened.countDown();
        // An upgrade's answer is sent after the handover; let it out before the process exits.
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (upgrading.get() && System.nanoTime() < until) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        Channel ch = server;
        if (ch != null && ch.isOpen()) {
            closeServer();
        }
        group.next().execute(reserve::close);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
