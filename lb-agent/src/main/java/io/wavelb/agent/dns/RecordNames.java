package io.wavelb.agent.dns;

import java.util.Locale;

/**
 * {@code dns.record_name} with placeholders, for one config shared by every zone of a multi-zone
 * layout: {@code {zone}} becomes this instance's zone name and {@code {network_border_group}} its
 * border group, so the agents of zone {@code us-east-1-wl1-bos-wlz-1} publish under
 * {@code us-east-1-wl1-bos-wlz-1.media.example.com} and each keeps only its own zone's part.
 */
public final class RecordNames {

    public static final String ZONE = "{zone}";
    public static final String BORDER_GROUP = "{network_border_group}";

    private RecordNames() {
    }

    public static String expand(String template, String zone, String borderGroup) {
        String name = template.replace(ZONE, label(zone)).replace(BORDER_GROUP, label(borderGroup));
        if (name.indexOf('{') >= 0 || name.indexOf('}') >= 0) {
            throw new IllegalArgumentException("dns.record_name '" + template + "': unknown placeholder (expected "
                    + ZONE + " or " + BORDER_GROUP + ")");
        }
        return name;
    }

    private static String label(String value) {
        String v = value.toLowerCase(Locale.ROOT);
        if (!v.matches("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")) {
            throw new IllegalArgumentException("'" + value + "' is not usable as a DNS label");
        }
        return v;
    }
}
