package io.wavelb.config;

import java.util.Optional;

/**
 * How the targets of a {@code affinity: quic} listener encode their server ID in the connection IDs
 * they issue (draft-ietf-quic-load-balancers-21). The connection ID is one first octet (config
 * rotation bits, then length) followed by {@code serverIdLength + nonceLength} bytes, plain or
 * encrypted with {@code key}.
 *
 * @param configId       0..6, the three config-rotation bits every routable ID carries (7 = unroutable)
 * @param serverIdLength 1..15 bytes
 * @param nonceLength    4..18 bytes; serverIdLength + nonceLength is at most 19
 * @param key            16-byte AES key; empty for plaintext connection IDs
 */
public record QuicLbConfig(int configId, int serverIdLength, int nonceLength, Optional<HexBytes> key) {

    public static final int MAX_CONFIG_ID = 6;
    public static final int MIN_SERVER_ID_LENGTH = 1;
    public static final int MAX_SERVER_ID_LENGTH = 15;
    public static final int MIN_NONCE_LENGTH = 4;
    public static final int MAX_NONCE_LENGTH = 18;
    /** A QUIC v1 connection ID is at most 20 bytes, one of which is the first octet. */
    public static final int MAX_PLAINTEXT_LENGTH = 19;
    public static final int KEY_LENGTH = 16;

    public QuicLbConfig {
        if (configId < 0 || configId > MAX_CONFIG_ID) {
            throw new IllegalArgumentException("config_id " + configId + " (expected 0.." + MAX_CONFIG_ID + ")");
        }
        if (serverIdLength < MIN_SERVER_ID_LENGTH || serverIdLength > MAX_SERVER_ID_LENGTH) {
            throw new IllegalArgumentException("server_id_length " + serverIdLength);
        }
        if (nonceLength < MIN_NONCE_LENGTH || nonceLength > MAX_NONCE_LENGTH) {
            throw new IllegalArgumentException("nonce_length " + nonceLength);
        }
        if (serverIdLength + nonceLength > MAX_PLAINTEXT_LENGTH) {
            throw new IllegalArgumentException("server_id_length + nonce_length " + (serverIdLength + nonceLength));
        }
        if (key.isPresent() && key.get().length() != KEY_LENGTH) {
            throw new IllegalArgumentException("key of " + key.get().length() + " bytes (expected 16)");
        }
    }

    /** Length of the whole connection ID, first octet included. */
    public int connectionIdLength() {
        return 1 + serverIdLength + nonceLength;
    }
}
