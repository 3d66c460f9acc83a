package io.wavelb.core.transport;

import io.wavelb.core.linux.LibC;
import java.io.IOException;

/**
 * Puts an inherited socket in non-blocking mode. An event loop reads, receives and accepts until
 * the call says there is no more; on a blocking socket that last call would stop the loop until
 * the next datagram or connection arrives. systemd and systemd-socket-activate pass blocking
 * sockets (sd_listen_fds(3) leaves the mode to the service); sockets Netty made are non-blocking
 * already and are left alone. The flag is on the open file, shared with systemd's copy, which
 * systemd polls only while the service is not running.
 */
final class NonBlockingMode {

    private NonBlockingMode() {
    }

    static void ensure(int fd) throws IOException {
        if (LibC.unavailable().isPresent()) {
            throw new IOException("fd " + fd + ": cannot make it non-blocking: " + LibC.unavailable().get());
        }
        LibC.setNonBlocking(fd);
    }
}
