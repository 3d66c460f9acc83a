package io.wavelb.core.udp;

import java.io.IOException;

/**
 * A transparent listener's upstream socket could not take the client's address: counted as
 * {@code transparent_bind}, not as {@code socket_error} (which means out of descriptors).
 */
final class TransparentBindException extends IOException {

    TransparentBindException(String message) {
        super(message);
    }

    TransparentBindException(String message, Throwable cause) {
        super(message, cause);
    }
}
