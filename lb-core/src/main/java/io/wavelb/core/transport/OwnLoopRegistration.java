package io.wavelb.core.transport;

import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.util.concurrent.Future;
import java.io.IOException;

/** Registers a bare descriptor's handle with the event loop the caller runs on. */
public final class OwnLoopRegistration {

    private OwnLoopRegistration() {
    }

    /**
     * Registers {@code handle} with {@code loop}, the calling thread's: from the loop's own thread
     * the registration completes before {@code register} returns, so there is nothing to wait for.
     * No interest is submitted yet; the caller says what it polls for.
     *
     * @param what the descriptor, for the error ("the upstream socket")
     * @throws IOException when the loop refuses it
     */
    public static IoRegistration register(IoEventLoop loop, EpollIoHandle handle, String what) throws IOException {
        Future<IoRegistration> registered = loop.register(handle);
        if (!registered.isSuccess()) {
            throw new IOException("cannot register " + what + ": " + registered.cause(), registered.cause());
        }
        return registered.getNow();
    }
}
