package io.wavelb.core.admin;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * The bearer token of the mutating calls. Checked from the request's headers alone, before any
 * of its body is read: a caller without the token never gets a buffer.
 */
final class AdminAuth {

    private static final String PREFIX = "Bearer ";

    /** Null: no token file, every mutating call is refused. */
    private volatile byte[] token;

    AdminAuth(byte[] token) {
        this.token = token;
    }

    void set(byte[] token) {
        this.token = token;
    }

    boolean enabled() {
        return token != null;
    }

    /** Empty when the header carries the token; else the refusal to send. */
    Optional<Reply> refusal(String authorization) {
        byte[] expected = token;
        if (expected == null) {
            return Optional.of(Reply.error(HttpResponseStatus.FORBIDDEN, "mutating admin calls are disabled: set admin.token_file"));
        }
        if (authorization == null || !authorization.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
            return Optional.of(Reply.error(HttpResponseStatus.UNAUTHORIZED, "missing 'Authorization: Bearer <token>'")
                    .with(HttpHeaderNames.WWW_AUTHENTICATE.toString(), "Bearer"));
        }
        byte[] given = authorization.substring(PREFIX.length()).strip().getBytes(StandardCharsets.UTF_8);
        // Constant time: a byte-by-byte early exit would leak how much of a guess was right.
        if (!MessageDigest.isEqual(given, expected)) {
            return Optional.of(Reply.error(HttpResponseStatus.UNAUTHORIZED, "wrong token")
                    .with(HttpHeaderNames.WWW_AUTHENTICATE.toString(), "Bearer error=\"invalid_token\""));
        }
        return Optional.empty();
    }
}
