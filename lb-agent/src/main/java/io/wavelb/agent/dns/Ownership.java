package io.wavelb.agent.dns;

import java.util.Optional;

/**
 * The owner marker of one instance's weighted record, ExternalDNS-style: a TXT record with the same
 * SetIdentifier at {@code _wavelb-owner.<record name>}, whose value names the cluster and the
 * instance. An agent changes or deletes only records whose marker names its own cluster, so two
 * clusters sharing a name, or records made by hand, are never touched (ExternalDNS #1698 is what
 * happens otherwise).
 */
public record Ownership(String clusterId, String instanceId) {

    private static final String PREFIX = "heritage=wavelb,";

    public static String markerName(String recordName) {
        return "_wavelb-owner." + RecordSet.normalize(recordName);
    }

    /** The TXT value, quoted as Route 53 stores TXT strings. */
    public String txtValue() {
        return "\"" + PREFIX + "cluster=" + clusterId + ",instance=" + instanceId + "\"";
    }

    /** Reads a marker value; empty for anything that is not a wavelb marker. */
    public static Optional<Ownership> parse(String txtValue) {
        String v = txtValue.strip();
        if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
            v = v.substring(1, v.length() - 1);
        }
        if (!v.startsWith(PREFIX)) {
            return Optional.empty();
        }
        String cluster = null;
        String instance = null;
        for (String part : v.substring(PREFIX.length()).split(",")) {
            int eq = part.indexOf('=');
            if (eq < 0) {
                return Optional.empty();
            }
            String key = part.substring(0, eq);
            String value = part.substring(eq + 1);
            if (key.equals("cluster")) {
                cluster = value;
            } else if (key.equals("instance")) {
                instance = value;
            }
        }
        return cluster == null || instance == null || cluster.isEmpty() || instance.isEmpty()
                ? Optional.empty() : Optional.of(new Ownership(cluster, instance));
    }
}
