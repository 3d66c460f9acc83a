package io.wavelb.core.listener;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A few file descriptors held in reserve for a server socket that must answer when the rest are
 * gone (the "idle descriptor" trick of libev and NGINX operators): the admin endpoint, so that
 * {@code /healthz} and {@code /metrics} still answer, and the takeover control socket, so that a
 * process at its limit can still be replaced by one with a higher limit. When UDP sessions have
 * used the rest of RLIMIT_NOFILE and accept fails with EMFILE, one reserved descriptor is closed so
 * the next accept gets it; it is taken again when descriptors come back. Only the owning server's
 * event loop touches it.
 */
public final class DescriptorReserve implements AutoCloseable {

    private static final Path SOURCE = Path.of("/dev/null");

    private final int size;
    private final Deque<FileChannel> held = new ArrayDeque<>();

    public DescriptorReserve(int size) {
        this.size = size;
    }

    public int held() {
        return held.size();
    }

    /** Takes descriptors until the reserve is full or none is left; true when full. */
    public boolean refill() {
        while (held.size() < size) {
            try {
                held.push(FileChannel.open(SOURCE));
            } catch (IOException | UnsupportedOperationException e) {
                return false;
            }
        }
        return true;
    }

    /**
     * Gives one held descriptor back to the process, for one accept; false when none is held. One
     * at a time: what the accept does not take, a UDP session may, and the rest stay for the next.
     */
    public boolean releaseOne() {
        FileChannel c = held.poll();
        if (c == null) {
            return false;
        }
        try {
            c.close();
        } catch (IOException e) {
            // closing /dev/null does not fail in a way that keeps the descriptor
        }
        return true;
    }

    /**
     * {@link #releaseOne} for a failed accept of {@code owner}'s server socket ("admin endpoint"):
     * what the accept-failure line adds (how many are left), or null when none was held.
     */
    public String releaseOneFor(String owner) {
        return releaseOne() ? "gave back one of the " + owner + "'s reserved descriptors to answer it (" + held() + " left)" : null;
    }

    /** Gives every held descriptor back to the process; how many. */
    int release() {
        int n = held.size();
        while (!held.isEmpty()) {
            try {
                held.pop().close();
            } catch (IOException e) {
                // closing /dev/null does not fail in a way that keeps the descriptor
            }
        }
        return n;
    }

    @Override
    public void close() {
        release();
    }
}
