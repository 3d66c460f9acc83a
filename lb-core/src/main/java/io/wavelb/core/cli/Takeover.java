package io.wavelb.core.cli;

import io.wavelb.config.WavelbConfig;
import io.wavelb.core.LoadBalancer;
import io.wavelb.core.Wavelb;
import io.wavelb.core.listener.InheritedSockets;
import io.wavelb.core.systemd.SdNotify;
import io.wavelb.core.takeover.ControlServer;
import io.wavelb.core.takeover.HandedSockets;
import io.wavelb.core.takeover.TakeoverClient;
import io.wavelb.core.takeover.TakeoverProtocol;
import io.wavelb.core.takeover.TakeoverStats;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongConsumer;

/**
 * {@code wavelb run --takeover}, and the control socket every {@code wavelb run} listens on so
 * that a later one can take it over.
 */
final class Takeover {

    private static final System.Logger LOG = System.getLogger("wavelb");
    /** The process taken over closes its admin endpoint last; its port is free within this. */
    static final Duration ADMIN_PORT_WAIT = Duration.ofSeconds(10);

    private Takeover() {
    }

    /**
     * The new process: asks the running one, builds the balancer on its listener sockets, takes
     * its sessions, starts reading, then serves as {@code wavelb run} does. Until the running
     * process has stopped reading, a failure here leaves it serving as before.
     */
    static int run(WavelbConfig config, Path file, PrintStream err) {
        DirectMemoryLimit.apply(config.runtime().memoryBudget());
        // Before asking: the process taken over serves meanwhile, and this one starts warm.
        WarmUp.run(config.runtime());
        Path socket = config.runtime().controlSocket();
        TakeoverStats stats = new TakeoverStats();
        long started = System.nanoTime();
        TakeoverClient client;
        try {
            client = TakeoverClient.connect(socket);
        } catch (IOException e) {
            err.println("wavelb: --takeover: " + e.getMessage());
            return Main.FAILED;
        }
        Wavelb wavelb;
        try {
            TakeoverProtocol.Listeners offer;
            try {
                offer = client.hello();
            } catch (TakeoverClient.Refused r) {
                err.println("wavelb: --takeover refused by the running wavelb: " + r.getMessage());
                client.close();
                return Main.FAILED;
            }
            stats.started.incrementAndGet();
            LOG.log(System.Logger.Level.INFO, "takeover: taking over from pid " + offer.pid() + ": "
                    + offer.sockets().size() + " listener socket group(s), " + offer.fds() + " socket(s)");
            List<Integer> fds = client.descriptors(offer.fds());
            List<String> missing = new ArrayList<>();
            InheritedSockets inherited = HandedSockets.of(offer, fds, missing);
            missing.forEach(m -> LOG.log(System.Logger.Level.WARNING, "takeover: " + m));
            try {
                wavelb = Wavelb.startTakingOver(config, Optional.of(file), inherited, offer.health());
            } catch (Exception e) {
                client.failed("the new process cannot start: " + e.getMessage());
                client.close();
                stats.failed.incrementAndGet();
                err.println("wavelb: cannot start (the running wavelb serves on): " + e.getMessage());
                return Main.FAILED;
            }
            wavelb.metrics().addTakeover("new", stats);
            stats.sockets.addAndGet(fds.size());
            // The running process still serves: the wait costs nothing but the takeover's length.
            Main.awaitQuietJit(config.runtime(), "the pause");
            try {
                takeSessions(client, wavelb, stats, offer.pid());
            } catch (GaveUp e) {
                wavelb.close();
                stats.failed.incrementAndGet();
                err.println("wavelb: --takeover: " + e.getMessage());
                client.close();
                return Main.FAILED;
            }
            long released = System.nanoTime();
            if (!client.released()) {
                LOG.log(System.Logger.Level.WARNING, "takeover: the process taken over did not confirm it let go;"
                        + " serving on what was received");
            }
            client.close();
            try {
                wavelb.startAdmin(ADMIN_PORT_WAIT);
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "takeover: admin endpoint not started: " + e.getMessage());
            }
            stats.completed.incrementAndGet();
            stats.lastDurationNanos.set(System.nanoTime() - started);
            LOG.log(System.Logger.Level.INFO, "takeover: complete in " + (System.nanoTime() - started) / 1_000_000
                    + " ms (" + (System.nanoTime() - released) / 1_000_000 + " ms of it for the admin endpoint)");
        } catch (IOException | TakeoverProtocol.ProtocolException | RuntimeException e) {
            client.close();
            err.println("wavelb: --takeover: " + e.getMessage() + " (nothing was taken; the running wavelb serves on)");
            return Main.FAILED;
        }
        return Main.serveStarted(wavelb, config, Optional.of(file), null, true);
    }

    /**
     * Takes the running process's sessions in two steps: a snapshot while it still serves them,
     * then, in the pause (it stops reading), what changed since; then starts reading and says
     * "taken". If the running process goes away meanwhile, serves with what arrived.
     */
    /** The process taken over is alive and gave the takeover up: it serves on, so this one must not. */
    private static final class GaveUp extends Exception {
        GaveUp(String message) {
            super(message);
        }
    }

    private static void takeSessions(TakeoverClient client, Wavelb wavelb, TakeoverStats stats, long oldPid) throws GaveUp {
        LoadBalancer lb = wavelb.balancer();
        int adopted = 0;
        int offered = 0;
        boolean prepared = false;
        long pause = 0;
        long changed = 0;
        long sockets = 0;
        try {
            TakeoverProtocol.Sessions snapshot = client.ready();
            String noRoom = DescriptorRoom.forHandedSockets(snapshot.fds());
            if (noRoom != null) {
                // Before any session socket is sent: the running process has not stopped reading.
                client.failed(noRoom);
                throw new GaveUp(noRoom + "; the running wavelb (pid " + oldPid + ") serves on, this process stops");
            }
            offered = snapshot.sessions().size();
            List<Integer> fds = client.descriptors(snapshot.fds());
            stats.sockets.addAndGet(fds.size());
            if (fds.size() < snapshot.fds()) {
                LOG.log(System.Logger.Level.WARNING, "takeover: " + fds.size() + " of " + snapshot.fds()
                        + " session socket(s) received before the process taken over went away; the rest of its"
                        + " sessions start anew on their next datagram");
            }
            lb.prepareSessions(snapshot.sessions(), fds);
            prepared = true;
            pause = System.nanoTime();
            TakeoverProtocol.Delta delta = client.prepared();
            changed = System.nanoTime();
            List<Integer> opened = client.descriptors(delta.fds());
            sockets = System.nanoTime();
            stats.sockets.addAndGet(opened.size());
            offered += delta.sessions().size() - delta.closed().size();
            adopted = lb.completeSessions(delta.closed(), delta.sessions(), opened);
        } catch (TakeoverClient.Refused gaveUp) {
            throw new GaveUp(gaveUp.getMessage() + "; it serves on, this process stops");
        } catch (GaveUp e) {
            throw e;
        } catch (Exception e) {
            // A closed connection: a crash, unless the process is still there (same PID namespace).
            if (alive(oldPid)) {
                throw new GaveUp("the running wavelb (pid " + oldPid + ") did not complete the takeover ("
                        + (e.getMessage() != null ? e.getMessage() : e.toString())
                        + "); it serves on, this process stops");
            }
            LOG.log(System.Logger.Level.WARNING, "takeover: the process taken over (pid " + oldPid + ") died midway ("
                    + e.getMessage() + "); serving with what was received");
            if (prepared) {
                try {
                    // The process taken over is gone or gave up after the snapshot: serve the snapshot.
                    adopted = lb.completeSessions(List.of(), List.of(), List.of());
                } catch (Exception again) {
                    LOG.log(System.Logger.Level.WARNING, "takeover: the snapshot's sessions not taken: " + again.getMessage());
                }
            }
        }
        lb.resumeReading();
        long resumed = System.nanoTime();
        if (pause != 0) {
            stats.lastPauseNanos.set(resumed - pause);
        }
        stats.sessions.addAndGet(adopted);
        LOG.log(System.Logger.Level.INFO, "takeover: " + adopted + " of " + offered + " UDP session(s) taken (the rest:"
                + " listener or target not in this config, or over max_sessions); reading"
                + (pause == 0 ? "" : " after a pause of " + (resumed - pause) / 1_000_000 + " ms (changes "
                + (changed - pause) / 1_000_000 + " ms, their sockets " + (sockets - changed) / 1_000_000
                + " ms, taking them " + (resumed - sockets) / 1_000_000 + " ms)"));
        // Under systemd: this process becomes the unit's main process before the old one can exit
        // (it exits once it has read "taken" and drained), or systemd would see the service end.
        try (SdNotify systemd = SdNotify.fromEnvironment(System.getenv())) {
            systemd.send("MAINPID=" + ProcessHandle.current().pid());
        }
        try {
            client.taken(wavelb.balancer().listeners().size(), adopted);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "takeover: cannot tell the process taken over: " + e.getMessage());
        }
    }

    /**
     * How {@code wavelb upgrade} starts the successor: the launcher the operator installed
     * ({@code WAVELB_LAUNCHER}, which bin/wavelb sets to itself, so the new version's JVM flags and
     * jar are used), else this JVM's flags and class path again (a package upgrade replaces the jar
     * in place).
     */
    static List<String> successorCommand(Path configFile) {
        List<String> cmd = new ArrayList<>();
        String launcher = System.getenv("WAVELB_LAUNCHER");
        if (launcher != null && !launcher.isBlank()) {
            cmd.add(launcher);
        } else {
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        }
        cmd.addAll(List.of("run", "--config", configFile.toAbsolutePath().toString(), "--takeover"));
        return cmd;
    }

    /** {@code wavelb upgrade --config FILE}: the running wavelb of that config starts its successor; 0 once it took over. */
    static int upgrade(WavelbConfig config, PrintStream out, PrintStream err) {
        Path socket = config.runtime().controlSocket();
        try (TakeoverClient client = TakeoverClient.connect(socket)) {
            TakeoverProtocol.Upgraded result = client.upgrade();
            (result.ok() ? out : err).println("wavelb upgrade: " + result.message());
            return result.ok() ? Main.OK : Main.FAILED;
        } catch (IOException | TakeoverProtocol.ProtocolException e) {
            err.println("wavelb upgrade: " + e.getMessage());
            return Main.FAILED;
        }
    }

    /** Whether {@code pid} still runs, after a moment for a dying process to be gone. */
    private static boolean alive(long pid) {
        Optional<ProcessHandle> p = ProcessHandle.of(pid);
        if (p.isEmpty()) {
            return false;
        }
        try {
            p.get().onExit().get(1, TimeUnit.SECONDS);
            return false;
        } catch (TimeoutException e) {
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return p.get().isAlive();
        } catch (ExecutionException e) {
            return p.get().isAlive();
        }
    }

    /**
     * The control socket for a later takeover of this process, or null (logged) when it cannot be
     * had: no state directory, or another wavelb answers there already. Takeovers wait until it is
     * {@link ControlServer#open}ed, once the listeners are bound (the caller logs "takeover:
     * listening on" then).
     */
    static ControlServer listen(WavelbConfig config, Path configFile, Wavelb wavelb, TakeoverStats stats,
                                LongConsumer handedOver) {
        Path socket = config.runtime().controlSocket();
        try {
            ControlServer server = ControlServer.startClosed(socket, wavelb.balancer().runningSide(), new ControlServer.Events() {
                @Override
                public Process startSuccessor() throws IOException {
                    return new ProcessBuilder(successorCommand(configFile)).inheritIO().start();
                }

                @Override
                public void handingOver(long newPid) {
                    wavelb.closeAdmin();
                }

                @Override
                public void handedOver(long newPid) {
                    handedOver.accept(newPid);
                }
            }, stats);
            return server;
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "takeover: no control socket (" + e.getMessage()
                    + "); this process cannot be taken over (set runtime.state_dir to a directory it may create)");
            return null;
        }
    }
}
