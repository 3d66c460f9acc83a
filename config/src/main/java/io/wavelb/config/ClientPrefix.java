package io.wavelb.config;

/**
 * What one client is, for the per-client limits: its address, or the network of its address with
 * this many leading bits ({@code client_prefix_v4}, {@code client_prefix_v6}). A /64 is one IPv6
 * subscriber on most networks, and every address in it is equally theirs.
 */
public record ClientPrefix(int v4, int v6) {

    public static final int DEFAULT_V4 = 32;
    public static final int DEFAULT_V6 = 64;
    public static final ClientPrefix DEFAULTS = new ClientPrefix(DEFAULT_V4, DEFAULT_V6);

    public ClientPrefix {
        if (v4 < 1 || v4 > 32 || v6 < 1 || v6 > 128) {
            throw new IllegalArgumentException("client prefix /" + v4 + ", /" + v6 + " (expected 1..32 and 1..128)");
        }
    }
}
