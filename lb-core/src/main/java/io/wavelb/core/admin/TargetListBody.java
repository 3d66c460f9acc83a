package io.wavelb.core.admin;

import io.wavelb.config.HostPort;
import io.wavelb.config.TargetConfig;
import io.wavelb.json.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The body of {@code PUT /v1/target-groups/{name}/targets}:
 * {@code {"targets":[{"address":"10.0.1.10:7000","weight":100}, ...]}}. Every mistake is named
 * by its place ({@code targets[1].address: ...}) so the caller can fix it; nothing partial is applied.
 */
final class TargetListBody {

    private TargetListBody() {
    }

    static final class BadBody extends Exception {
        private static final long serialVersionUID = 1L;

        BadBody(String message) {
            super(message);
        }
    }

    /** A QUIC-LB server ID as the config writes it: hex, {@code 0x} allowed, 1..15 bytes. */
    private static io.wavelb.config.HexBytes serverId(Object value, String at) throws BadBody {
        if (value instanceof String text) {
            try {
                io.wavelb.config.HexBytes id = io.wavelb.config.HexBytes.parse(text);
                if (id.length() <= io.wavelb.config.QuicLbConfig.MAX_SERVER_ID_LENGTH) {
                    return id;
                }
            } catch (IllegalArgumentException e) {
                // said below
            }
        }
        throw new BadBody(at + ": " + value + " (expected 1.." + io.wavelb.config.QuicLbConfig.MAX_SERVER_ID_LENGTH
                + " bytes in hex, like \"0x0001\")");
    }

    static List<AdminOperations.TargetSpec> parse(String body) throws BadBody {
        Object root;
        try {
            root = Json.parse(body);
        } catch (Json.JsonException e) {
            throw new BadBody("body is not JSON: " + e.getMessage());
        }
        if (!(root instanceof Map<?, ?> map)) {
            throw new BadBody("body: expected an object like {\"targets\":[...]}");
        }
        for (Object key : map.keySet()) {
            if (!key.equals("targets")) {
                throw new BadBody("body: unknown key '" + key + "' (expected: targets)");
            }
        }
        if (!(map.get("targets") instanceof List<?> list)) {
            throw new BadBody("targets: expected a list of {\"address\":..., \"weight\":...}");
        }
        List<AdminOperations.TargetSpec> specs = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String at = "targets[" + i + "]";
            if (!(list.get(i) instanceof Map<?, ?> t)) {
                throw new BadBody(at + ": expected an object with an address");
            }
            for (Object key : t.keySet()) {
                if (!Set.of("address", "weight", "server_id").contains(key)) {
                    throw new BadBody(at + ": unknown key '" + key + "' (expected: address, weight, server_id)");
                }
            }
            if (!(t.get("address") instanceof String address)) {
                throw new BadBody(at + ".address: expected a string like \"10.0.1.10:7000\"");
            }
            HostPort hp;
            try {
                hp = HostPort.parse(address);
            } catch (IllegalArgumentException e) {
                throw new BadBody(at + ".address: " + e.getMessage());
            }
            int weight = TargetConfig.DEFAULT_WEIGHT;
            Object w = t.get("weight");
            if (w != null) {
                if (!(w instanceof Long l) || l < 1 || l > TargetConfig.MAX_WEIGHT) {
                    throw new BadBody(at + ".weight: " + w + " (expected a whole number 1.." + TargetConfig.MAX_WEIGHT + ")");
                }
                weight = l.intValue();
            }
            java.util.Optional<io.wavelb.config.HexBytes> serverId = java.util.Optional.empty();
            Object sid = t.get("server_id");
            if (sid != null) {
                serverId = java.util.Optional.of(serverId(sid, at + ".server_id"));
            }
            specs.add(new AdminOperations.TargetSpec(hp, weight, serverId));
        }
        return specs;
    }
}
