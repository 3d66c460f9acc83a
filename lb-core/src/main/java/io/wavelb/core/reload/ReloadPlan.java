package io.wavelb.core.reload;

import io.wavelb.config.ListenerConfig;
import io.wavelb.config.TargetGroupConfig;
import io.wavelb.config.WavelbConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What a reload changes, decided from the running and the new config alone (no sockets here).
 *
 * <p>A listener is kept — its sockets, UDP sessions and TCP connections untouched — when its
 * name, protocol and listen address are unchanged; its other settings and its target group are
 * updated in place. Anything else about a listener is a removal plus an addition: the new one
 * binds before the old one closes, so a failed bind changes nothing.
 *
 * @param keptListeners    old and new config of each listener that keeps its sockets
 * @param addedListeners   listeners to bind
 * @param removedListeners listeners to close (after the additions bound)
 * @param keptGroups       groups present before and after (their targets are reconciled)
 * @param addedGroups      groups to create
 * @param removedGroups    groups to retire (their targets drain)
 * @param restartNeeded    settings that only take effect after a restart (runtime, admin listen)
 */
public record ReloadPlan(List<Kept> keptListeners, List<ListenerConfig> addedListeners,
                         List<ListenerConfig> removedListeners, List<TargetGroupConfig> keptGroups,
                         List<TargetGroupConfig> addedGroups, List<String> removedGroups,
                         List<String> restartNeeded) {

    /** A listener whose sockets stay, with its settings before and after. */
    public record Kept(ListenerConfig before, ListenerConfig after) {
        public boolean changed() {
            return !before.equals(after);
        }
    }

    public static ReloadPlan between(WavelbConfig running, WavelbConfig next) {
        Map<String, ListenerConfig> old = new HashMap<>();
        running.listeners().forEach(l -> old.put(l.name(), l));
        List<Kept> kept = new ArrayList<>();
        List<ListenerConfig> added = new ArrayList<>();
        Set<String> stillThere = new LinkedHashSet<>();
        for (ListenerConfig l : next.listeners()) {
            ListenerConfig before = old.get(l.name());
            if (before != null && sameSockets(before, l)) {
                kept.add(new Kept(before, l));
                stillThere.add(l.name());
            } else {
                added.add(l);
            }
        }
        List<ListenerConfig> removed = new ArrayList<>();
        for (ListenerConfig l : running.listeners()) {
            if (!stillThere.contains(l.name())) {
                removed.add(l);
            }
        }
        Set<String> oldGroups = new LinkedHashSet<>();
        running.targetGroups().forEach(g -> oldGroups.add(g.name()));
        List<TargetGroupConfig> keptGroups = new ArrayList<>();
        List<TargetGroupConfig> addedGroups = new ArrayList<>();
        Set<String> newGroups = new LinkedHashSet<>();
        for (TargetGroupConfig g : next.targetGroups()) {
            newGroups.add(g.name());
            (oldGroups.contains(g.name()) ? keptGroups : addedGroups).add(g);
        }
        List<String> removedGroups = oldGroups.stream().filter(g -> !newGroups.contains(g)).toList();
        List<String> restart = new ArrayList<>();
        if (!running.runtime().equals(next.runtime())) {
            restart.add("runtime");
        }
        if (!running.admin().listen().equals(next.admin().listen())) {
            restart.add("admin.listen");
        }
        return new ReloadPlan(kept, added, removed, keptGroups, addedGroups, removedGroups, restart);
    }

    private static boolean sameSockets(ListenerConfig a, ListenerConfig b) {
        return a.protocol() == b.protocol() && Objects.equals(a.listen(), b.listen());
    }

    /** One line for logs and the admin API, e.g. "listeners: 1 added, 1 updated; groups: 1 removed". */
    public String summary() {
        List<String> parts = new ArrayList<>();
        long updated = keptListeners.stream().filter(Kept::changed).count();
        List<String> l = new ArrayList<>();
        if (!addedListeners.isEmpty()) {
            l.add(addedListeners.size() + " added");
        }
        if (updated > 0) {
            l.add(updated + " updated");
        }
        if (!removedListeners.isEmpty()) {
            l.add(removedListeners.size() + " removed");
        }
        if (!l.isEmpty()) {
            parts.add("listeners: " + String.join(", ", l));
        }
        List<String> g = new ArrayList<>();
        if (!addedGroups.isEmpty()) {
            g.add(addedGroups.size() + " added");
        }
        if (!removedGroups.isEmpty()) {
            g.add(removedGroups.size() + " removed");
        }
        if (!g.isEmpty()) {
            parts.add("target groups: " + String.join(", ", g));
        }
        if (!restartNeeded.isEmpty()) {
            parts.add("needs a restart to apply: " + String.join(", ", restartNeeded));
        }
        return parts.isEmpty() ? "no listener or group changes (targets reconciled)" : String.join("; ", parts);
    }
}
