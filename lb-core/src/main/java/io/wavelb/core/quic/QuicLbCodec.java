package io.wavelb.core.quic;

import io.wavelb.config.QuicLbConfig;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * QUIC-LB connection IDs (draft-ietf-quic-load-balancers-21, section 5): a first octet holding the
 * three config-rotation bits and the self-encoded length, then server ID and nonce, either in
 * plaintext, as one AES-128-ECB block (when they are exactly 16 bytes), or through the draft's
 * four-pass Feistel network built on AES-128-ECB.
 *
 * <p>The balancer only decodes; {@link #encode} is what a target (or a test standing in for one)
 * uses to mint IDs. An instance holds its ciphers and scratch blocks, so it is confined to one
 * thread: each event loop owns one. Decoding allocates nothing.
 */
public final class QuicLbCodec {

    private static final int BLOCK = 16;

    private final int configId;
    private final int serverIdLength;
    private final int nonceLength;
    private final int plaintextLength;
    private final int halfLength;
    private final boolean odd;
    private final Cipher encrypt;
    private final Cipher decrypt;
    private final byte[] left = new byte[BLOCK];
    private final byte[] right = new byte[BLOCK];
    private final byte[] pad = new byte[BLOCK];
    private final byte[] plain = new byte[BLOCK + 4];

    public QuicLbCodec(QuicLbConfig config) {
        this.configId = config.configId();
        this.serverIdLength = config.serverIdLength();
        this.nonceLength = config.nonceLength();
        this.plaintextLength = serverIdLength + nonceLength;
        this.halfLength = (plaintextLength + 1) / 2;
        this.odd = plaintextLength % 2 == 1;
        if (config.key().isPresent()) {
            SecretKeySpec key = new SecretKeySpec(config.key().get().bytes(), "AES");
            try {
                encrypt = Cipher.getInstance("AES/ECB/NoPadding");
                encrypt.init(Cipher.ENCRYPT_MODE, key);
                if (plaintextLength == BLOCK) {
                    decrypt = Cipher.getInstance("AES/ECB/NoPadding");
                    decrypt.init(Cipher.DECRYPT_MODE, key);
                } else {
                    decrypt = null;
                }
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES-128-ECB is not available in this JDK", e);
            }
        } else {
            encrypt = null;
            decrypt = null;
        }
    }

    public int configId() {
        return configId;
    }

    public int serverIdLength() {
        return serverIdLength;
    }

    /** Length of a whole connection ID, first octet included. */
    public int connectionIdLength() {
        return 1 + plaintextLength;
    }

    /**
     * Writes the server ID carried by the connection ID at {@code cid[offset..offset+connectionIdLength())}
     * into {@code serverId[0..serverIdLength())}. The caller has checked the config-rotation bits and
     * the length; any bytes decode to some server ID, which the caller then looks up.
     */
    public void decodeServerId(byte[] cid, int offset, byte[] serverId) {
        int body = offset + 1;
        if (encrypt == null) {
            System.arraycopy(cid, body, serverId, 0, serverIdLength);
            return;
        }
        if (plaintextLength == BLOCK) {
            crypt(decrypt, cid, body, plain, 0);
            System.arraycopy(plain, 0, serverId, 0, serverIdLength);
            return;
        }
        split(cid, body);
        // Passes 4, 3, 2 recover the left half; the fourth (pass 1) is only needed when the server
        // ID reaches into the right half.
        int last = serverIdLength > nonceLength ? 1 : 2;
        for (int index = 4; index >= last; index--) {
            pass(index);
        }
        join(serverId, serverIdLength);
    }

    /** A connection ID for {@code serverId} and {@code nonce} (a target's job; tests and tools use it). */
    public byte[] encode(byte[] serverId, byte[] nonce) {
        if (serverId.length != serverIdLength || nonce.length != nonceLength) {
            throw new IllegalArgumentException("server ID of " + serverId.length + " and nonce of " + nonce.length
                    + " bytes (expected " + serverIdLength + " and " + nonceLength + ")");
        }
        byte[] cid = new byte[connectionIdLength()];
        cid[0] = (byte) (configId << 5 | (cid.length - 1) & 0x1f);
        System.arraycopy(serverId, 0, cid, 1, serverIdLength);
        System.arraycopy(nonce, 0, cid, 1 + serverIdLength, nonceLength);
        if (encrypt == null) {
            return cid;
        }
        if (plaintextLength == BLOCK) {
            crypt(encrypt, cid, 1, cid, 1);
            return cid;
        }
        split(cid, 1);
        for (int index = 1; index <= 4; index++) {
            pass(index);
        }
        byte[] out = new byte[plaintextLength];
        join(out, plaintextLength);
        System.arraycopy(out, 0, cid, 1, plaintextLength);
        return cid;
    }

    /**
     * Loads the two halves as the draft lays them out: the half's bytes first, zeros, then the
     * plaintext length in byte 14 and the pass index in byte 15. With an odd length the middle
     * byte is shared: its high nibble belongs to the left half, its low nibble to the right.
     */
    private void split(byte[] src, int offset) {
        Arrays.fill(left, (byte) 0);
        Arrays.fill(right, (byte) 0);
        System.arraycopy(src, offset, left, 0, halfLength);
        System.arraycopy(src, offset + plaintextLength / 2, right, 0, halfLength);
        if (odd) {
            left[halfLength - 1] &= (byte) 0xf0;
            right[0] &= 0x0f;
        }
        left[BLOCK - 2] = (byte) plaintextLength;
        right[BLOCK - 2] = (byte) plaintextLength;
    }

    /** Odd passes encrypt the left half into the right one, even passes the other way. */
    private void pass(int index) {
        byte[] from = index % 2 == 1 ? left : right;
        byte[] into = index % 2 == 1 ? right : left;
        from[BLOCK - 1] = (byte) index;
        crypt(encrypt, from, 0, pad, 0);
        for (int i = 0; i < halfLength; i++) {
            into[i] ^= pad[i];
        }
        if (odd) {
            if (into == left) {
                left[halfLength - 1] &= (byte) 0xf0;
            } else {
                right[0] &= 0x0f;
            }
        }
    }

    /** The first {@code length} bytes of left half then right half. */
    private void join(byte[] out, int length) {
        int fromLeft = odd ? halfLength - 1 : halfLength;
        System.arraycopy(left, 0, plain, 0, fromLeft);
        plain[fromLeft] = odd ? (byte) (left[halfLength - 1] | right[0]) : right[0];
        System.arraycopy(right, 1, plain, fromLeft + 1, halfLength - 1);
        System.arraycopy(plain, 0, out, 0, length);
    }

    private static void crypt(Cipher cipher, byte[] in, int inOffset, byte[] out, int outOffset) {
        try {
            cipher.doFinal(in, inOffset, BLOCK, out, outOffset);
        } catch (GeneralSecurityException e) {
            // ECB without padding on exactly one block cannot fail with a valid key.
            throw new IllegalStateException(e);
        }
    }
}
