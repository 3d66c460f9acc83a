package io.wavelb.core.takeover;

import io.wavelb.json.Json;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The takeover conversation, one JSON message per frame, in lock step (each side waits for the
 * other's answer), so a descriptor is only ever sent to a peer that is reading descriptors:
 * <pre>
 *   new -> old  hello {version, pid}
 *   old -> new  refused {reason}                       (busy, version mismatch: both go on as they were)
 *            |  listeners {pid, sockets, health, fds}  (the running process keeps serving)
 *   new -> old  send_fds {count};  old -> new  that many listener sockets (SCM_RIGHTS), in manifest order;
 *                                              asked again until all arrived
 *   new -> old  ready                                  (new process built, its listeners not yet reading)
 *   old -> new  sessions {sessions, fds}               (a snapshot; the running process still serves them)
 *   new -> old  send_fds {count};  old -> new  that many sessions' upstream sockets, again until all arrived
 *   new -> old  prepared                               (snapshot taken in, nothing read yet)
 *   old -> new  delta {closed, sessions, fds}          (the running process stopped reading everything:
 *                                                       sessions ended and opened since the snapshot)
 *   new -> old  send_fds {count};  old -> new  the new sessions' sockets
 *   new -> old  taken {listeners, sessions}  |  failed {reason}   (old resumes on failed or a lost peer)
 *   old -> new  released                               (old closed its copies, admin and control socket)
 *
 *   cli -> old  upgrade                                (wavelb upgrade: the running process starts the
 *   old -> cli  upgraded {ok, pid, message}             new one itself, in its own service, and reports)
 * </pre>
 * The sessions move in two steps so that the time in which no process reads (the kernel queues)
 * does not grow with their number: the snapshot and its sockets travel while the running process
 * still serves, and only what changed since travels in the pause.
 * Pure: no sockets, no Netty. Addresses travel as literal IP and port, never names.
 */
public final class TakeoverProtocol {

    /** Bumped on any change a peer of the previous version would misread; a mismatch is refused. */
    public static final int VERSION = 1;
    /** Largest frame accepted: the session list of a loaded balancer (~200 bytes a session) fits 300k sessions. */
    public static final int MAX_FRAME_BYTES = 64 << 20;

    private TakeoverProtocol() {
    }

    /** A message that could not be understood: the conversation ends, and nothing is handed over. */
    public static final class ProtocolException extends Exception {
        public ProtocolException(String message) {
            super(message);
        }
    }

    public sealed interface Message permits Hello, Refused, Listeners, SendFds, Ready, Sessions, Prepared, Delta, Taken,
            Failed, Released, Upgrade, Upgraded {
    }

    public record Hello(int version, long pid) implements Message {
    }

    public record Refused(String reason) implements Message {
    }

    /** One side (TCP or UDP) of one listener: {@code members} sockets (one per event loop) follow in order. */
    public record ListenerSocket(String listener, boolean udp, InetSocketAddress address, int members) {
    }

    /** A target's active health, so the new process does not start from "unknown". */
    public record TargetHealth(String group, String target, String health) {
    }

    public record Listeners(long pid, List<ListenerSocket> sockets, List<TargetHealth> health, int fds) implements Message {
        public Listeners {
            sockets = List.copyOf(sockets);
            health = List.copyOf(health);
        }
    }

    /**
     * Asks for the next {@code count} descriptors. Asked in chunks of at most {@link #FDS_PER_ASK}:
     * each descriptor travels as its own one-byte message, and a Unix socket's send buffer (208 KiB
     * by default, ~700 bytes a message) holds about 290; a chunk that fits never meets a full send
     * buffer, where Netty's epoll domain socket fails the whole write ("Unexpected message type").
     */
    public record SendFds(int count) implements Message {
        public SendFds {
            if (count < 1 || count > FDS_PER_ASK) {
                throw new IllegalArgumentException("count " + count + " (expected 1.." + FDS_PER_ASK + ")");
            }
        }
    }

    /** Descriptors asked for at once: well under what a default Unix socket send buffer holds. */
    public static final int FDS_PER_ASK = 64;

    public record Ready() implements Message {
    }

    /**
     * One live UDP session: the listener socket (member) whose loop owns it, the client, the
     * target, how long it has been quiet, its session-end hint counts, whether its target has
     * answered, and the PROXY v2 header it sends (null without one). Its upstream socket follows.
     */
    public record SessionState(long id, String listener, int member, InetSocketAddress client, InetSocketAddress target,
                               long quietMillis, long requests, long responses, boolean replied, byte[] proxyHeader) {
    }

    public record Sessions(List<SessionState> sessions, int fds) implements Message {
        public Sessions {
            sessions = List.copyOf(sessions);
        }
    }

    public record Prepared() implements Message {
    }

    /** Since the snapshot: the ids of sessions that ended, and the sessions opened (their sockets follow). */
    public record Delta(List<Long> closed, List<SessionState> sessions, int fds) implements Message {
        public Delta {
            closed = List.copyOf(closed);
            sessions = List.copyOf(sessions);
        }
    }

    public record Taken(int listeners, int sessions) implements Message {
    }

    public record Failed(String reason) implements Message {
    }

    public record Released() implements Message {
    }

    /** {@code wavelb upgrade}: start a new process from the installed launcher and let it take over. */
    public record Upgrade() implements Message {
    }

    /** How the upgrade went: the new process's pid (0 when none started) and a line for the operator. */
    public record Upgraded(boolean ok, long pid, String message) implements Message {
    }

    // ---- encoding ----------------------------------------------------------------------------

    public static String encode(Message m) {
        Map<String, Object> o = new LinkedHashMap<>();
        switch (m) {
            case Hello h -> {
                o.put("type", "hello");
                o.put("version", h.version());
                o.put("pid", h.pid());
            }
            case Refused r -> {
                o.put("type", "refused");
                o.put("reason", r.reason());
            }
            case Listeners l -> {
                o.put("type", "listeners");
                o.put("version", VERSION);
                o.put("pid", l.pid());
                List<Object> sockets = new ArrayList<>();
                for (ListenerSocket s : l.sockets()) {
                    Map<String, Object> so = new LinkedHashMap<>();
                    so.put("listener", s.listener());
                    so.put("side", s.udp() ? "udp" : "tcp");
                    so.put("address", address(s.address()));
                    so.put("members", s.members());
                    sockets.add(so);
                }
                o.put("sockets", sockets);
                List<Object> health = new ArrayList<>();
                for (TargetHealth t : l.health()) {
                    health.add(Map.of("group", t.group(), "target", t.target(), "health", t.health()));
                }
                o.put("health", health);
                o.put("fds", l.fds());
            }
            case SendFds s -> {
                o.put("type", "send_fds");
                o.put("count", s.count());
            }
            case Ready r -> o.put("type", "ready");
            case Sessions s -> {
                o.put("type", "sessions");
                o.put("sessions", sessions(s.sessions()));
                o.put("fds", s.fds());
            }
            case Prepared p -> o.put("type", "prepared");
            case Delta d -> {
                o.put("type", "delta");
                o.put("closed", new ArrayList<Object>(d.closed()));
                o.put("sessions", sessions(d.sessions()));
                o.put("fds", d.fds());
            }
            case Taken t -> {
                o.put("type", "taken");
                o.put("listeners", t.listeners());
                o.put("sessions", t.sessions());
            }
            case Failed f -> {
                o.put("type", "failed");
                o.put("reason", f.reason());
            }
            case Released r -> o.put("type", "released");
            case Upgrade u -> o.put("type", "upgrade");
            case Upgraded u -> {
                o.put("type", "upgraded");
                o.put("ok", u.ok());
                o.put("pid", u.pid());
                o.put("message", u.message());
            }
        }
        return Json.write(o);
    }

    private static List<Object> sessions(List<SessionState> states) {
        List<Object> sessions = new ArrayList<>();
        for (SessionState st : states) {
            Map<String, Object> so = new LinkedHashMap<>();
            so.put("id", st.id());
            so.put("listener", st.listener());
            so.put("member", st.member());
            so.put("client", address(st.client()));
            so.put("target", address(st.target()));
            so.put("quiet_ms", st.quietMillis());
            so.put("requests", st.requests());
            so.put("responses", st.responses());
            so.put("replied", st.replied());
            if (st.proxyHeader() != null) {
                so.put("proxy_header", Base64.getEncoder().encodeToString(st.proxyHeader()));
            }
            sessions.add(so);
        }
        return sessions;
    }

    /** IPv6 in brackets, so the last colon always separates the port. */
    static String address(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        int zone = host.indexOf('%');
        if (zone >= 0) {
            host = host.substring(0, zone);
        }
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    // ---- decoding ----------------------------------------------------------------------------

    public static Message decode(String text) throws ProtocolException {
        Map<String, Object> o;
        try {
            o = Json.object(Json.parse(text), "a takeover message");
        } catch (Json.JsonException e) {
            throw new ProtocolException("not a takeover message: " + e.getMessage());
        }
        String type = str(o, "type");
        return switch (type) {
            case "hello" -> new Hello(integer(o, "version"), number(o, "pid"));
            case "refused" -> new Refused(str(o, "reason"));
            case "listeners" -> {
                int version = integer(o, "version");
                if (version != VERSION) {
                    throw new ProtocolException("the running wavelb speaks takeover protocol version " + version
                            + ", this one " + VERSION);
                }
                List<ListenerSocket> sockets = new ArrayList<>();
                for (Object item : list(o, "sockets")) {
                    Map<String, Object> s = obj(item, "a listener socket");
                    String side = str(s, "side");
                    if (!side.equals("udp") && !side.equals("tcp")) {
                        throw new ProtocolException("listener socket side '" + side + "' (expected tcp or udp)");
                    }
                    sockets.add(new ListenerSocket(str(s, "listener"), side.equals("udp"), parseAddress(str(s, "address")),
                            integer(s, "members")));
                }
                List<TargetHealth> health = new ArrayList<>();
                for (Object item : list(o, "health")) {
                    Map<String, Object> h = obj(item, "a target's health");
                    health.add(new TargetHealth(str(h, "group"), str(h, "target"), str(h, "health")));
                }
                yield new Listeners(number(o, "pid"), sockets, health, integer(o, "fds"));
            }
            case "send_fds" -> {
                int count = integer(o, "count");
                if (count < 1 || count > FDS_PER_ASK) {
                    throw new ProtocolException("send_fds count " + count + " (expected 1.." + FDS_PER_ASK + ")");
                }
                yield new SendFds(count);
            }
            case "ready" -> new Ready();
            case "sessions" -> new Sessions(sessions(o), integer(o, "fds"));
            case "prepared" -> new Prepared();
            case "delta" -> {
                List<Long> closed = new ArrayList<>();
                for (Object item : list(o, "closed")) {
                    if (!(item instanceof Number n) || n.doubleValue() < 0 || n.doubleValue() != Math.rint(n.doubleValue())) {
                        throw new ProtocolException("'closed' holds a non-id");
                    }
                    closed.add(n.longValue());
                }
                yield new Delta(closed, sessions(o), integer(o, "fds"));
            }
            case "taken" -> new Taken(integer(o, "listeners"), integer(o, "sessions"));
            case "failed" -> new Failed(str(o, "reason"));
            case "released" -> new Released();
            case "upgrade" -> new Upgrade();
            case "upgraded" -> new Upgraded(o.get("ok") instanceof Boolean b && b, number(o, "pid"), str(o, "message"));
            default -> throw new ProtocolException("unknown takeover message type '" + type + "'");
        };
    }

    private static List<SessionState> sessions(Map<String, Object> o) throws ProtocolException {
        List<SessionState> sessions = new ArrayList<>();
        for (Object item : list(o, "sessions")) {
            Map<String, Object> s = obj(item, "a session");
            byte[] header = null;
            if (s.get("proxy_header") instanceof String b64) {
                try {
                    header = Base64.getDecoder().decode(b64);
                } catch (IllegalArgumentException e) {
                    throw new ProtocolException("session proxy_header is not base64");
                }
            }
            sessions.add(new SessionState(number(s, "id"), str(s, "listener"), integer(s, "member"),
                    parseAddress(str(s, "client")), parseAddress(str(s, "target")), number(s, "quiet_ms"),
                    number(s, "requests"), number(s, "responses"), s.get("replied") instanceof Boolean b && b, header));
        }
        return sessions;
    }

    /** A literal address as {@link #address} writes it; never resolves a name. */
    static InetSocketAddress parseAddress(String text) throws ProtocolException {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new ProtocolException("address '" + text + "' (expected IP:PORT)");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new ProtocolException("address '" + text + "': port is not a number");
        }
        if (port < 0 || port > 65535 || !(host.indexOf(':') >= 0 || host.chars().allMatch(c -> c == '.' || Character.isDigit(c)))) {
            throw new ProtocolException("address '" + text + "' (expected a literal IP and a port)");
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new ProtocolException("address '" + text + "' (expected a literal IP and a port)");
        }
    }

    private static String str(Map<String, Object> o, String key) throws ProtocolException {
        if (o.get(key) instanceof String s) {
            return s;
        }
        throw new ProtocolException("'" + key + "' missing or not a string");
    }

    private static long number(Map<String, Object> o, String key) throws ProtocolException {
        if (o.get(key) instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && n.doubleValue() >= 0) {
            return n.longValue();
        }
        throw new ProtocolException("'" + key + "' missing or not a whole number >= 0");
    }

    private static int integer(Map<String, Object> o, String key) throws ProtocolException {
        long n = number(o, key);
        if (n > Integer.MAX_VALUE) {
            throw new ProtocolException("'" + key + "' out of range");
        }
        return (int) n;
    }

    private static List<Object> list(Map<String, Object> o, String key) throws ProtocolException {
        if (o.get(key) instanceof List<?> l) {
            @SuppressWarnings("unchecked")
            List<Object> items = (List<Object>) l;
            return items;
        }
        throw new ProtocolException("'" + key + "' missing or not an array");
    }

    private static Map<String, Object> obj(Object item, String what) throws ProtocolException {
        try {
            return Json.object(item, what);
        } catch (Json.JsonException e) {
            throw new ProtocolException(e.getMessage());
        }
    }
}
