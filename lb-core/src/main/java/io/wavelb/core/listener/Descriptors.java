package io.wavelb.core.listener;

import io.netty.channel.ChannelException;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.Socket;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Asks the kernel what an inherited descriptor is, or closes one nobody took —
 * through Netty's native socket calls, so epoll's native library must be loaded.
 *
 * <p>Why getsockopt/getsockname on the descriptor rather than finding its inode in
 * {@code /proc/net/{tcp,udp}{,6}}: those tables list the sockets of the reader's network
 * namespace, and a socket-activated service may run in its own ({@code PrivateNetwork=} with
 * sockets systemd opened outside it is the documented way to run one without network access), so
 * its sockets would not be there; the tables also grow with every connection on the host, and
 * getsockopt answers for this descriptor in one system call.
 */
public final class Descriptors {

    private static final int SOL_SOCKET = 1;
    private static final int SO_TYPE = 3;
    private static final int SO_ACCEPTCONN = 30;
    private static final int SO_PROTOCOL = 38;
    private static final int SO_DOMAIN = 39;

    private Descriptors() {
    }

    /**
     * What {@code fd} is: its protocol and local address. Binds nothing and leaves the socket as it is.
     *
     * @param name what the passer called it, for the error
     * @throws IllegalArgumentException naming the descriptor when it is not an IPv4/IPv6 listening
     *                                  TCP socket or UDP socket
     */
    public static InheritedSockets.InheritedSocket inspect(int fd, String name) {
        String which = "fd " + fd + " (named '" + name + "')";
        if (!Epoll.isAvailable()) {
            throw new IllegalStateException("cannot use " + which + ": inherited sockets need the epoll transport, which"
                    + " is unavailable: " + Epoll.unavailabilityCause());
        }
        SocketKind kind;
        InetSocketAddress local;
        try {
            Socket s = new Socket(fd);
            kind = SocketKind.of(s.getIntOpt(SOL_SOCKET, SO_DOMAIN), s.getIntOpt(SOL_SOCKET, SO_TYPE),
                    s.getIntOpt(SOL_SOCKET, SO_PROTOCOL), s.getIntOpt(SOL_SOCKET, SO_ACCEPTCONN) != 0);
            local = s.localAddress();
        } catch (IOException | ChannelException e) {
            // ENOTSOCK for a file, pipe or FIFO (ListenFIFO=); EBADF when nothing is open there.
            throw new IllegalArgumentException(which + " is not a socket we can use: " + target(fd) + ": "
                    + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(which + " is " + e.getMessage(), e);
        }
        if (local == null) {
            throw new IllegalArgumentException(which + " has no local address");
        }
        return new InheritedSockets.InheritedSocket(fd, name, kind.udp(), local);
    }

    /** Closes a descriptor nobody took; failures are returned for the log, not thrown. A negative one is no descriptor. */
    public static String close(int fd) {
        if (fd < 0) {
            return null;
        }
        try {
            new FileDescriptor(fd).close();
            return null;
        } catch (IOException e) {
            return e.getMessage();
        }
    }

    /** What the descriptor points at ({@code socket:[123]}, {@code /dev/null}, {@code pipe:[4]}), for errors. */
    private static String target(int fd) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return "nothing open there";
        }
    }
}
