package io.wavelb.core.transport;

import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.Socket;
import io.wavelb.core.linux.LibC;
import java.io.IOException;

/**
 * A second descriptor of a channel's socket, polled by a handle of wavelb's own on the channel's
 * loop while the channel itself no longer reads (a UDP listener's batched intake, a TCP listener's
 * native acceptor). The channel keeps the socket for binding, socket activation and takeover.
 */
public final class SocketCopy {

    private final Socket socket;
    private IoRegistration registration;
    private boolean closed;

    private SocketCopy(Socket socket) {
        this.socket = socket;
    }

    /** A close-on-exec copy of the socket {@code fd}, not polled yet. */
    public static SocketCopy of(int fd) throws IOException {
        return new SocketCopy(new Socket(LibC.dup(fd)));
    }

    public Socket socket() {
        return socket;
    }

    /** Registers {@code handle}, whose descriptor is this copy, with {@code loop} (the calling thread's); it polls nothing yet. */
    public void register(IoEventLoop loop, EpollIoHandle handle, String what) throws IOException {
        registration = OwnLoopRegistration.register(loop, handle, what);
    }

    /**
     * Polls for EPOLLIN, or for nothing (the kernel queues what comes); nothing before registering
     * or after closing. "Nothing" is EPOLLET alone, not {@link EpollIoOps#NONE}: Netty turns a
     * submit of NONE into EPOLL_CTL_DEL but keeps the registration as added, so the next submit's
     * EPOLL_CTL_MOD fails with ENOENT and the socket is never polled again (a paused listener
     * stayed deaf). With EPOLLET alone only EPOLLERR and EPOLLHUP can come, each once.
     */
    public void pollIn(boolean in) {
        if (!closed && registration != null) {
            registration.submit(in ? EpollIoOps.EPOLLIN : EpollIoOps.EPOLLET);
        }
    }

    /**
     * Out of the epoll set first (the channel's descriptor keeps the socket open, so closing this
     * copy alone would leave it there: epoll(7), Q6), then the copy closed. Idempotent.
     */
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (registration != null) {
            registration.cancel();
            registration = null;
        }
        try {
            socket.close();
        } catch (IOException e) {
            // Nothing left to do with a descriptor that would not close.
        }
    }
}
