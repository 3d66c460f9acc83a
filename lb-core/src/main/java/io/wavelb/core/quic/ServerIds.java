package io.wavelb.core.quic;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * Server IDs of a group's targets, looked up by bytes without allocating. A linear scan: an edge
 * group has a handful of targets, and a scan over a few short arrays beats hashing them.
 *
 * @param <T> the target type
 */
public final class ServerIds<T> {

    private final byte[][] ids;
    private final byte[][] asciiHex;
    private final Object[] owners;

    /** {@code ids.get(i)} belongs to {@code owners.get(i)}. */
    public ServerIds(List<byte[]> ids, List<T> owners) {
        if (ids.size() != owners.size()) {
            throw new IllegalArgumentException(ids.size() + " ids for " + owners.size() + " owners");
        }
        this.ids = ids.stream().map(byte[]::clone).toArray(byte[][]::new);
        this.asciiHex = ids.stream()
                .map(b -> HexFormat.of().formatHex(b).getBytes(StandardCharsets.US_ASCII))
                .toArray(byte[][]::new);
        this.owners = owners.toArray();
    }

    /** The owner of the server ID in {@code id[0..length)}, or null. */
    @SuppressWarnings("unchecked")
    public T find(byte[] id, int length) {
        for (int i = 0; i < ids.length; i++) {
            byte[] candidate = ids[i];
            if (candidate.length == length && Arrays.equals(candidate, 0, length, id, 0, length)) {
                return (T) owners[i];
            }
        }
        return null;
    }

    /**
     * The owner whose server ID, written as lowercase hex, starts the text at
     * {@code text[offset..offset+length)} (an ICE ufrag), or null.
     */
    @SuppressWarnings("unchecked")
    public T findHexPrefix(byte[] text, int offset, int length) {
        for (int i = 0; i < asciiHex.length; i++) {
            byte[] prefix = asciiHex[i];
            if (prefix.length <= length && Arrays.equals(prefix, 0, prefix.length, text, offset, offset + prefix.length)) {
                return (T) owners[i];
            }
        }
        return null;
    }
}
