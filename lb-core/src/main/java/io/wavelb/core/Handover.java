package io.wavelb.core;

import io.wavelb.core.listener.Descriptors;
import io.wavelb.core.takeover.RunningSide;
import io.wavelb.core.takeover.TakeoverProtocol;
import io.wavelb.core.target.Target;
import io.wavelb.core.target.TargetGroup;
import io.wavelb.core.transport.BoundedWait;
import io.wavelb.core.udp.FrozenSession;
import io.wavelb.core.udp.UdpListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The balancer's side of a takeover, both ways: what the running process hands over
 * ({@link RunningSide}), and how the new process takes the sessions and starts reading. The
 * listeners and their loops do the socket work; this class only walks them in a fixed order, so
 * the descriptors line up with the manifest on both sides.
 */
final class Handover implements RunningSide {

    private static final System.Logger LOG = System.getLogger(Handover.class.getName());

    /** How long the event loops get to freeze, hand over or take sessions. */
    static final long LOOP_WORK_SECONDS = 10;

    private final LoadBalancer lb;
    /** The listeners as offered: what was frozen and is handed over or thawed is exactly these. */
    private List<BoundListener> offered = List.of();
    /** Session ids of the takeover in progress, unique across its snapshot and its change. */
    private final AtomicLong ids = new AtomicLong();

    Handover(LoadBalancer lb) {
        this.lb = lb;
    }

    @Override
    public Offer offer() {
        offered = lb.boundListeners();
        List<TakeoverProtocol.ListenerSocket> sockets = new ArrayList<>();
        List<Integer> fds = new ArrayList<>();
        for (BoundListener b : offered) {
            if (b.tcp() != null) {
                List<Integer> members = b.tcp().memberDescriptors();
                sockets.add(new TakeoverProtocol.ListenerSocket(b.name(), false, b.tcp().localAddress(), members.size()));
                fds.addAll(members);
            }
            if (b.udp() != null) {
                List<Integer> members = b.udp().memberDescriptors();
                sockets.add(new TakeoverProtocol.ListenerSocket(b.name(), true, b.udp().localAddress(), members.size()));
                fds.addAll(members);
            }
        }
        List<TakeoverProtocol.TargetHealth> health = new ArrayList<>();
        for (TargetGroup g : lb.targetGroups().values()) {
            for (Target t : g.targets()) {
                health.add(new TakeoverProtocol.TargetHealth(g.name(), t.id(), t.health().name()));
            }
        }
        return new Offer(sockets, fds, health);
    }

    @Override
    public Sessions snapshot() throws Exception {
        List<CompletableFuture<List<FrozenSession>>> each = new ArrayList<>();
        for (BoundListener b : offered) {
            if (b.udp() != null) {
                each.add(b.udp().snapshot(ids::getAndIncrement));
            }
        }
        List<FrozenSession> all = new ArrayList<>();
        for (CompletableFuture<List<FrozenSession>> f : each) {
            all.addAll(f.get(LOOP_WORK_SECONDS, TimeUnit.SECONDS));
        }
        return sessions(all);
    }

    @Override
    public Change freeze() throws Exception {
        List<CompletableFuture<Void>> paused = new ArrayList<>();
        List<CompletableFuture<UdpListener.Change>> each = new ArrayList<>();
        for (BoundListener b : offered) {
            if (b.tcp() != null) {
                paused.add(b.tcp().pauseAccepting());
            }
            if (b.udp() != null) {
                each.add(b.udp().freeze(ids::getAndIncrement));
            }
        }
        CompletableFuture.allOf(paused.toArray(CompletableFuture[]::new)).get(LOOP_WORK_SECONDS, TimeUnit.SECONDS);
        List<Long> closed = new ArrayList<>();
        List<FrozenSession> opened = new ArrayList<>();
        for (CompletableFuture<UdpListener.Change> f : each) {
            UdpListener.Change c = f.get(LOOP_WORK_SECONDS, TimeUnit.SECONDS);
            closed.addAll(c.closed());
            opened.addAll(c.opened());
        }
        return new Change(closed, sessions(opened));
    }

    private static Sessions sessions(List<FrozenSession> frozen) {
        List<TakeoverProtocol.SessionState> states = new ArrayList<>();
        List<Integer> fds = new ArrayList<>();
        for (FrozenSession s : frozen) {
            states.add(s.state());
            fds.add(s.fd());
        }
        return new Sessions(states, fds);
    }

    @Override
    public void handedOver() throws Exception {
        List<CompletableFuture<Void>> each = new ArrayList<>();
        for (BoundListener b : offered) {
            if (b.tcp() != null) {
                each.add(b.tcp().handedOver());
            }
            if (b.udp() != null) {
                each.add(b.udp().handedOver());
            }
        }
        CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).get(LOOP_WORK_SECONDS, TimeUnit.SECONDS);
    }

    @Override
    public void thaw() {
        // Every listener's loops are asked before any is waited for: one stuck loop must not keep
        // the listeners of the others frozen (its own read again when it runs its queue).
        List<CompletableFuture<Void>> each = new ArrayList<>();
        for (BoundListener b : offered) {
            if (b.tcp() != null) {
                each.add(b.tcp().resumeReading());
            }
            if (b.udp() != null) {
                each.add(b.udp().thaw());
            }
        }
        awaitLoops(each, "thawing the listeners");
    }

    @Override
    public void withdraw() {
        List<CompletableFuture<Void>> each = new ArrayList<>();
        for (BoundListener b : offered) {
            if (b.udp() != null) {
                each.add(b.udp().withdraw());
            }
        }
        awaitLoops(each, "withdrawing the offered sessions");
    }

    /** Waits at most {@link #LOOP_WORK_SECONDS} for {@code work} on the event loops; past it, says so and goes on. */
    private static void awaitLoops(List<CompletableFuture<Void>> work, String what) {
        BoundedWait.await(CompletableFuture.allOf(work.toArray(CompletableFuture[]::new)), Duration.ofSeconds(LOOP_WORK_SECONDS),
                LOG, "takeover: " + what + ": an event loop has not done it after " + LOOP_WORK_SECONDS
                        + " s; it does when it runs its queue, the other loops serve meanwhile", "takeover: " + what + " failed");
    }

    /**
     * The new process, the snapshot: takes the sessions into the listeners they name (by name: the
     * new config may have moved or dropped listeners; those sessions' sockets are closed), without
     * reading their sockets yet.
     *
     * @return how many were taken
     */
    int prepare(List<TakeoverProtocol.SessionState> sessions, List<Integer> fds) throws Exception {
        List<CompletableFuture<Integer>> each = new ArrayList<>();
        for (Map.Entry<UdpListener, List<FrozenSession>> e : byListener(sessions, fds).entrySet()) {
            each.add(e.getKey().prepare(e.getValue()));
        }
        return sum(each);
    }

    /**
     * The new process, in the pause: drops the snapshot's sessions that ended, takes those opened
     * since, and reads every session's socket from now on.
     *
     * @return how many sessions were taken over in all
     */
    int complete(List<Long> closed, List<TakeoverProtocol.SessionState> opened, List<Integer> fds) throws Exception {
        Map<UdpListener, List<FrozenSession>> byListener = byListener(opened, fds);
        List<CompletableFuture<Integer>> each = new ArrayList<>();
        for (BoundListener b : lb.boundListeners()) {
            if (b.udp() != null) {
                each.add(b.udp().complete(closed, byListener.getOrDefault(b.udp(), List.of())));
            }
        }
        return sum(each);
    }

    /** Each session with its socket, by the listener of its name; the sockets of sessions no listener takes are closed. */
    private Map<UdpListener, List<FrozenSession>> byListener(List<TakeoverProtocol.SessionState> sessions, List<Integer> fds) {
        Map<String, UdpListener> byName = new HashMap<>();
        for (BoundListener b : lb.boundListeners()) {
            if (b.udp() != null) {
                byName.put(b.name(), b.udp());
            }
        }
        Map<UdpListener, List<FrozenSession>> out = new LinkedHashMap<>();
        for (int i = 0; i < fds.size(); i++) {
            UdpListener l = i < sessions.size() ? byName.get(sessions.get(i).listener()) : null;
            if (l == null) {
                Descriptors.close(fds.get(i));
                continue;
            }
            out.computeIfAbsent(l, k -> new ArrayList<>()).add(new FrozenSession(sessions.get(i), fds.get(i)));
        }
        return out;
    }

    private static int sum(List<CompletableFuture<Integer>> each) throws Exception {
        int taken = 0;
        for (CompletableFuture<Integer> f : each) {
            taken += f.get(LOOP_WORK_SECONDS, TimeUnit.SECONDS);
        }
        return taken;
    }

    /** The new process: every listener reads from now on (those adopted paused start here). */
    void resumeReading() {
        List<CompletableFuture<Void>> each = new ArrayList<>();
        for (BoundListener b : lb.boundListeners()) {
            if (b.tcp() != null) {
                each.add(b.tcp().resumeReading());
            }
            if (b.udp() != null) {
                b.udp().resumeReading();
            }
        }
        awaitLoops(each, "starting to read the listeners");
    }
}
