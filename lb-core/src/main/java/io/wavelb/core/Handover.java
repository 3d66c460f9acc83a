package io.wavelb.core;

import io.wavelb.core.listener.Descriptors;
import io.wavelb.core.takeover.RunningSide;
import io.wavelb.core.takeover.TakeoverProtocol;
import io.wavelb.core.target.Target;
import io.wavelb.core.target.TargetGroup;
import io.wavelb.core.udp.FrozenSession;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The balancer's side of a takeover, both ways: what the running process hands over
 * ({@link RunningSide}), and how the new process takes the sessions and starts reading. The
 * listeners and their loops do the socket work; this class only walks them in a fixed order, so
 * the descriptors line up with the manifest on both sides.
 */
final class Handover implements RunningSide {

    /** How long the event loops get to freeze, hand over or take sessions. */
    static final long LOOP_WORK_SECONDS = 10;

    private final LoadBalancer lb;
    /** The listeners as offered: what was frozen and is handed over or thawed is exactly these. */
    private List<BoundListener> offered = List.of();

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
    public Frozen freeze() throws Exception {
        List<CompletableFuture<List<FrozenSession>>> each = new ArrayList<>();
        for (BoundListener b : offered) {
            if (b.tcp() != null) {
                b.tcp().pauseAccepting();
            }
            if (b.udp() != null) {
                each.add(b.udp().freeze());
            }
        }
        List<TakeoverProtocol.SessionState> sessions = new ArrayList<>();
        List<Integer> fds = new ArrayList<>();
        for (CompletableFuture<List<FrozenSession>> f : each) {
            for (FrozenSession s : f.get(LOOP_WORK_SECONDS, TimeUnit.SECONDS)) {
                sessions.add(s.state());
                fds.add(s.fd());
            }
        }
        return new Frozen(sessions, fds);
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
        for (BoundListener b : offered) {
            if (b.tcp() != null) {
                b.tcp().resumeReading();
            }
            if (b.udp() != null) {
                b.udp().thaw().join();
            }
        }
    }

    /**
     * The new process: takes the handed-over sessions, each into the listener it names (by name:
     * the new config may have moved or dropped listeners; those sessions' sockets are closed).
     *
     * @return how many sessions were taken
     */
    int adopt(List<TakeoverProtocol.SessionState> sessions, List<Integer> fds) throws Exception {
        List<CompletableFuture<Integer>> each = new ArrayList<>();
        List<BoundListener> listeners = lb.boundListeners();
        boolean[] claimed = new boolean[sessions.size()];
        for (BoundListener b : listeners) {
            if (b.udp() == null) {
                continue;
            }
            List<FrozenSession> mine = new ArrayList<>();
            for (int i = 0; i < sessions.size() && i < fds.size(); i++) {
                if (!claimed[i] && sessions.get(i).listener().equals(b.name())) {
                    claimed[i] = true;
                    mine.add(new FrozenSession(sessions.get(i), fds.get(i)));
                }
            }
            each.add(b.udp().adopt(mine));
        }
        for (int i = 0; i < fds.size(); i++) {
            if (i >= claimed.length || !claimed[i]) {
                Descriptors.close(fds.get(i));
            }
        }
        int taken = 0;
        for (CompletableFuture<Integer> f : each) {
            taken += f.get(LOOP_WORK_SECONDS, TimeUnit.SECONDS);
        }
        return taken;
    }

    /** The new process: every listener reads from now on (those adopted paused start here). */
    void resumeReading() {
        for (BoundListener b : lb.boundListeners()) {
            if (b.tcp() != null) {
                b.tcp().resumeReading();
            }
            if (b.udp() != null) {
                b.udp().resumeReading();
            }
        }
    }
}
