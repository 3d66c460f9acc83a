package io.wavelb.agent.dns;

import java.util.List;
import java.util.Objects;

/**
 * One Route 53 weighted record set as the agent reads and writes it (the SDK's model objects become
 * this at the edge). {@code values} are the record values exactly as Route 53 returns them, so a
 * DELETE can name them exactly.
 */
public record RecordSet(String name, Type type, String setIdentifier, int weight, long ttlSeconds, List<String> values) {

    public enum Type { A, TXT }

    public RecordSet {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(setIdentifier, "setIdentifier");
        if (weight < 0 || weight > 255) {
            throw new IllegalArgumentException("weight " + weight + " (expected 0..255, Route 53's range)");
        }
        values = List.copyOf(values);
        name = normalize(name);
    }

    /** Route 53 answers names fully qualified with a trailing dot; compare without it, lower case. */
    public static String normalize(String name) {
        String n = name.toLowerCase(java.util.Locale.ROOT);
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }

    /** Characters of value this record spends of a ChangeBatch's 32,000. */
    int valueChars() {
        int n = 0;
        for (String v : values) {
            n += v.length();
        }
        return n;
    }
}
