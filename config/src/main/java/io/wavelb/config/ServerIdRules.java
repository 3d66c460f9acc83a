package io.wavelb.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The rules a target group's server IDs follow, in one place for both places targets come from:
 * the config file ({@code Validator}) and the admin API's dynamic list ({@code PUT
 * /v1/target-groups/{name}/targets}). Each caller says which listeners read the IDs and words the
 * violations for its own audience; the decisions are the same.
 *
 * <ul>
 *   <li>A listener with {@code affinity: quic} reads {@code server_id_length} bytes of every
 *       connection ID: an ID of another length can never match ({@link WrongLength}), and a target
 *       without one gets no connection-ID routing ({@link Missing}).
 *   <li>A connection ID or ufrag must name one target: no ID on two addresses ({@link Duplicate}).
 *   <li>A listener with {@code affinity: stun} routes a ufrag by the target whose hex ID starts it:
 *       no ID may be a proper prefix of another on a different address ({@link Overlap}).
 * </ul>
 */
public final class ServerIdRules {

    private ServerIdRules() {
    }

    /**
     * What the listeners on a group read of its server IDs.
     *
     * @param quicLengths  the {@code quic_lb.server_id_length} of each quic listener on the group
     * @param stunPrefixes whether a stun listener routes the group's ufrags by ID prefix
     */
    public record Readers(Set<Integer> quicLengths, boolean stunPrefixes) {
        public static final Readers NONE = new Readers(Set.of(), false);

        public Readers {
            quicLengths = Set.copyOf(quicLengths);
        }

        public static Readers quic(int serverIdLength) {
            return new Readers(Set.of(serverIdLength), false);
        }

        public static Readers stun() {
            return new Readers(Set.of(), true);
        }

        /** The readers among {@code listeners} (UDP ones whose target group is {@code group}). */
        public static Readers of(List<ListenerConfig> listeners, String group) {
            Set<Integer> lengths = new java.util.TreeSet<>();
            boolean stun = false;
            for (ListenerConfig l : listeners) {
                if (!l.targetGroup().equals(group) || !l.protocol().carriesUdp()) {
                    continue;
                }
                switch (l.udp().affinity()) {
                    case QUIC -> lengths.add(l.udp().quicLb().orElseThrow().serverIdLength());
                    case STUN -> stun = true;
                    case FIVE_TUPLE, SOURCE_IP -> {
                    }
                }
            }
            return new Readers(lengths, stun);
        }
    }

    /** A broken rule; {@code index} is the position in the list checked of the target at fault (the later one). */
    public sealed interface Violation permits Missing, WrongLength, Duplicate, Overlap {
        int index();

        TargetConfig target();
    }

    /** A quic listener reads the group, and this target has no server ID. */
    public record Missing(int index, TargetConfig target, int expectedLength) implements Violation {
    }

    /** The target's ID is not {@code expectedLength} bytes long, the length a quic listener reads. */
    public record WrongLength(int index, TargetConfig target, int expectedLength) implements Violation {
    }

    /** The target's ID is also {@code first}'s, an earlier target at another address. */
    public record Duplicate(int index, TargetConfig target, TargetConfig first) implements Violation {
    }

    /** One of the two IDs is a proper prefix of the other, so one ufrag could name both targets. */
    public record Overlap(int index, TargetConfig target, TargetConfig other) implements Violation {
    }

    /**
     * Every violation in {@code targets}, in list order, each reported at the later target of a
     * pair. A target of the wrong length is not checked further. Duplicates are reported whatever
     * reads the IDs: the group's server-ID lookup must be unambiguous for any listener a reload adds.
     */
    public static List<Violation> check(List<TargetConfig> targets, Readers readers) {
        List<Violation> out = new ArrayList<>();
        Map<String, TargetConfig> byId = new HashMap<>();
        List<TargetConfig> prefixed = new ArrayList<>();
        for (int i = 0; i < targets.size(); i++) {
            TargetConfig t = targets.get(i);
            if (t.serverId().isEmpty()) {
                for (int length : readers.quicLengths()) {
                    out.add(new Missing(i, t, length));
                }
                continue;
            }
            HexBytes id = t.serverId().get();
            boolean wrongLength = false;
            for (int length : readers.quicLengths()) {
                if (id.length() != length) {
                    out.add(new WrongLength(i, t, length));
                    wrongLength = true;
                }
            }
            if (wrongLength) {
                continue;
            }
            TargetConfig first = byId.putIfAbsent(id.hex(), t);
            if (first != null && !first.address().equals(t.address())) {
                out.add(new Duplicate(i, t, first));
                continue;
            }
            if (readers.stunPrefixes()) {
                for (TargetConfig other : prefixed) {
                    if (!other.address().equals(t.address()) && properPrefix(id, other.serverId().orElseThrow())) {
                        out.add(new Overlap(i, t, other));
                    }
                }
                prefixed.add(t);
            }
        }
        return out;
    }

    /** True when one of the IDs' hex text starts the other and they differ. */
    public static boolean properPrefix(HexBytes a, HexBytes b) {
        return !a.equals(b) && (a.hex().startsWith(b.hex()) || b.hex().startsWith(a.hex()));
    }
}
