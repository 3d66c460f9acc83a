package io.wavelb.core.takeover;

import io.wavelb.core.listener.Descriptors;
import io.wavelb.core.listener.InheritedSockets;
import java.util.ArrayList;
import java.util.List;

/** The listener sockets a takeover received, as the listeners of the new process take them. */
public final class HandedSockets {

    private HandedSockets() {
    }

    /**
     * Pairs the manifest's sockets with the descriptors received, in order. Each is named after
     * its listener, so it goes to the listener of that name and protocol in the new config (one
     * the new config dropped is closed as untaken; one it added binds fresh). When fewer
     * descriptors arrived than the manifest lists (the running process died meanwhile), a
     * listener side missing any of its members binds fresh, and its received members are closed.
     *
     * @param missing receives one line per listener side not fully received
     */
    public static InheritedSockets of(TakeoverProtocol.Listeners manifest, List<Integer> fds, List<String> missing) {
        List<InheritedSockets.InheritedSocket> sockets = new ArrayList<>();
        int next = 0;
        for (TakeoverProtocol.ListenerSocket s : manifest.sockets()) {
            int end = next + s.members();
            if (end > fds.size()) {
                missing.add("listener '" + s.listener() + "' (" + (s.udp() ? "udp" : "tcp") + "): " + Math.max(0, fds.size() - next)
                        + " of " + s.members() + " socket(s) received; binding it anew");
                for (int i = next; i < fds.size(); i++) {
                    Descriptors.close(fds.get(i));
                }
            } else {
                for (int i = next; i < end; i++) {
                    sockets.add(new InheritedSockets.InheritedSocket(fds.get(i), s.listener(), s.udp(), s.address()));
                }
            }
            next = end;
        }
        for (int i = next; i < fds.size(); i++) {
            Descriptors.close(fds.get(i));
        }
        return InheritedSockets.paused("the process taken over", sockets);
    }
}
