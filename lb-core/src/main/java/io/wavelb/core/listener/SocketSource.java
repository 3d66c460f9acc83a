package io.wavelb.core.listener;

import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * Where a listener's sockets come from: bound here, one per event loop, or inherited descriptors
 * that are already bound (systemd socket activation, a takeover), one member each.
 */
public sealed interface SocketSource {

    /** New sockets bound to {@code address}, one per event loop where SO_REUSEPORT lets them share it. */
    record Fresh(InetSocketAddress address) implements SocketSource {
    }

    /**
     * Inherited sockets, in the order they were passed; member {@code i} goes to event loop
     * {@code i} modulo the loops.
     *
     * @param address the listener's {@code listen:} address (the sockets' own address is what counts)
     * @param paused  not read until the listener is told to ({@code resumeReading}): a takeover's
     *                sockets, which the running process still serves until it hands its sessions over
     */
    record Inherited(List<Integer> fds, InetSocketAddress address, boolean paused) implements SocketSource {
        public Inherited(List<Integer> fds, InetSocketAddress address) {
            this(fds, address, false);
        }

        public Inherited {
            fds = List.copyOf(fds);
            if (fds.isEmpty()) {
                throw new IllegalArgumentException("no inherited descriptors");
            }
        }
    }

    /** How many sockets the listener gets with {@code loops} event loops. */
    default int members(int loops, boolean reusePort) {
        return switch (this) {
            case Fresh f -> reusePort ? loops : 1;
            case Inherited i -> i.fds().size();
        };
    }

    /** The address to bind, or the one configured for the inherited sockets (their own is learned from the first). */
    InetSocketAddress address();

    /**
     * Fails when a fresh bind would share its port with another process's socket ({@link
     * Bind#probeFree}); an inherited socket holds its port legitimately.
     */
    default void checkFree(String protocol, String listener) throws BindException {
        switch (this) {
            case Fresh f -> Bind.probeFree(protocol, listener, f.address());
            case Inherited i -> {
            }
        }
    }

    /** Where the listener is once its first socket is open: the port a fresh bind to port 0 got, or the inherited socket's address. */
    default InetSocketAddress learned(InetSocketAddress before, InetSocketAddress firstLocal) {
        return switch (this) {
            case Fresh f -> before.getPort() == 0 ? new InetSocketAddress(before.getAddress(), firstLocal.getPort()) : before;
            case Inherited i -> firstLocal;
        };
    }

    /**
     * After member {@code failed} could not be opened: closes the inherited descriptors no channel
     * owns yet, those after it and, when {@code failedIsOpen} (no channel took it), that one.
     */
    default void closeUnused(int failed, boolean failedIsOpen) {
        switch (this) {
            case Fresh f -> {
            }
            case Inherited i -> {
                for (int m = failedIsOpen ? failed : failed + 1; m < i.fds().size(); m++) {
                    Descriptors.close(i.fds().get(m));
                }
            }
        }
    }

    /** The one-line error for member {@code member} failing to open. */
    default BindException failure(String protocol, String listener, int member, InetSocketAddress at, Throwable cause) {
        return switch (this) {
            case Fresh f -> Bind.failure(protocol, listener, at, cause);
            case Inherited i -> {
                BindException e = new BindException("listener '" + listener + "': cannot use the inherited " + protocol
                        + " socket fd " + i.fds().get(member) + ": " + (cause == null ? "unknown error" : cause.getMessage()));
                if (cause != null) {
                    e.initCause(cause);
                }
                yield e;
            }
        };
    }
}
