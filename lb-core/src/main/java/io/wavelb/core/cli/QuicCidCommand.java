package io.wavelb.core.cli;

import io.wavelb.config.ConfigException;
import io.wavelb.config.ConfigLoader;
import io.wavelb.config.HexBytes;
import io.wavelb.config.ListenerConfig;
import io.wavelb.config.QuicLbConfig;
import io.wavelb.config.TargetConfig;
import io.wavelb.config.TargetGroupConfig;
import io.wavelb.config.UdpAffinity;
import io.wavelb.config.WavelbConfig;
import io.wavelb.core.quic.QuicHeaders;
import io.wavelb.core.quic.QuicLbCodec;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * {@code wavelb quic-cid}: the QUIC-LB connection IDs of an {@code affinity: quic} listener, for
 * target developers and operators. {@code decode} says where the balancer sends an ID and why;
 * {@code mint} makes IDs a target with a given server ID would issue (to test a deployment, or to
 * check a target's own encoder against ours).
 */
final class QuicCidCommand {

    static final String USAGE = """
            usage: wavelb quic-cid --config FILE --listener NAME decode CID_HEX
                   wavelb quic-cid --config FILE --listener NAME mint --server-id HEX [--count N]
            """;

    private QuicCidCommand() {
    }

    static int run(List<String> args, PrintStream out, PrintStream err) {
        String file = null;
        String listenerName = null;
        String action = null;
        String value = null;
        String serverId = null;
        int count = 1;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            boolean hasNext = i + 1 < args.size();
            switch (a) {
                case "--config", "-c" -> file = hasNext ? args.get(++i) : null;
                case "--listener" -> listenerName = hasNext ? args.get(++i) : null;
                case "--server-id" -> serverId = hasNext ? args.get(++i) : null;
                case "--count" -> {
                    try {
                        count = hasNext ? Integer.parseInt(args.get(++i)) : -1;
                    } catch (NumberFormatException e) {
                        count = -1;
                    }
                }
                case "decode", "mint" -> {
                    action = a;
                    if (a.equals("decode") && hasNext) {
                        value = args.get(++i);
                    }
                }
                default -> {
                    err.println("wavelb quic-cid: unexpected argument '" + a + "'");
                    err.print(USAGE);
                    return Main.USAGE;
                }
            }
        }
        if (file == null || listenerName == null || action == null || count < 1 || count > 1000
                || action.equals("decode") && value == null || action.equals("mint") && serverId == null) {
            err.print(USAGE);
            return Main.USAGE;
        }
        WavelbConfig config;
        try {
            config = ConfigLoader.load(Path.of(file));
        } catch (ConfigException e) {
            err.println(e.getMessage());
            return Main.USAGE;
        } catch (IOException e) {
            err.println("wavelb quic-cid: cannot read " + file + ": " + e.getMessage());
            return Main.USAGE;
        }
        String name = listenerName;
        Optional<ListenerConfig> listener = config.listeners().stream().filter(l -> l.name().equals(name)).findFirst();
        if (listener.isEmpty()) {
            err.println("wavelb quic-cid: " + file + " has no listener '" + name + "' (listeners: "
                    + String.join(", ", config.listeners().stream().map(ListenerConfig::name).toList()) + ")");
            return Main.USAGE;
        }
        if (listener.get().udp().affinity() != UdpAffinity.QUIC) {
            err.println("wavelb quic-cid: listener '" + name + "' has affinity "
                    + listener.get().udp().affinity().yamlName() + ", not quic");
            return Main.USAGE;
        }
        QuicLbConfig quic = listener.get().udp().quicLb().orElseThrow();
        TargetGroupConfig group = config.targetGroups().stream()
                .filter(g -> g.name().equals(listener.get().targetGroup())).findFirst().orElseThrow();
        QuicLbCodec codec = new QuicLbCodec(quic);
        return action.equals("decode") ? decode(codec, quic, group, value, out, err) : mint(codec, quic, serverId, count, out, err);
    }

    private static byte[] hex(String text) {
        return HexFormat.of().parseHex(HexBytes.withoutPrefix(text));
    }

    private static int decode(QuicLbCodec codec, QuicLbConfig quic, TargetGroupConfig group, String value,
                              PrintStream out, PrintStream err) {
        byte[] cid;
        try {
            cid = hex(value);
        } catch (IllegalArgumentException e) {
            err.println("wavelb quic-cid: '" + value + "' is not hex");
            return Main.USAGE;
        }
        // As the balancer sees it in a short-header packet.
        byte[] packet = new byte[1 + cid.length];
        packet[0] = 0x40;
        System.arraycopy(cid, 0, packet, 1, cid.length);
        byte[] sid = new byte[quic.serverIdLength()];
        int kind = QuicHeaders.classify(packet, Math.min(packet.length, QuicHeaders.PREFIX), codec, sid);
        int configId = cid.length == 0 ? -1 : (cid[0] & 0xff) >>> 5;
        switch (kind) {
            case QuicHeaders.UNROUTABLE -> out.println("route unroutable: config bits 0b111, balanced by the 5-tuple");
            case QuicHeaders.SERVER_ID, QuicHeaders.SERVER_ID_CLIENT_CHOSEN -> {
                HexBytes id = HexBytes.of(sid);
                Optional<TargetConfig> target = group.targets().stream()
                        .filter(t -> t.serverId().filter(id::equals).isPresent()).findFirst();
                out.println(target.map(t -> "route cid: server_id " + id + " -> target " + t.address())
                        .orElse("route unknown_server_id: server_id " + id + " is no target's in group '" + group.name()
                                + "'; balanced by the 5-tuple"));
            }
            default -> out.println("route fallback: " + (cid.length < codec.connectionIdLength()
                    ? cid.length + " bytes, shorter than this listener's " + codec.connectionIdLength() + "-byte IDs"
                    : "config bits " + configId + ", this listener's are " + quic.configId())
                    + "; balanced by the 5-tuple");
        }
        return Main.OK;
    }

    private static int mint(QuicLbCodec codec, QuicLbConfig quic, String serverId, int count, PrintStream out, PrintStream err) {
        byte[] sid;
        try {
            sid = hex(serverId);
        } catch (IllegalArgumentException e) {
            err.println("wavelb quic-cid: server ID '" + serverId + "' is not hex");
            return Main.USAGE;
        }
        if (sid.length != quic.serverIdLength()) {
            err.println("wavelb quic-cid: server ID " + serverId + " has " + sid.length + " bytes; this listener's have "
                    + quic.serverIdLength());
            return Main.USAGE;
        }
        SecureRandom random = new SecureRandom();
        for (int i = 0; i < count; i++) {
            byte[] nonce = new byte[quic.nonceLength()];
            random.nextBytes(nonce);
            out.println(HexFormat.of().formatHex(codec.encode(sid, nonce)));
        }
        return Main.OK;
    }
}
