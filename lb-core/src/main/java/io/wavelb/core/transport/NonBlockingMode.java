package io.wavelb.core.transport;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Puts an inherited socket in non-blocking mode. An event loop reads, receives and accepts until
 * the call says there is no more; on a blocking socket that last call would stop the loop until
 * the next datagram or connection arrives. systemd and systemd-socket-activate pass blocking
 * sockets (sd_listen_fds(3) leaves the mode to the service); sockets Netty made are non-blocking
 * already and are left alone. The flag is on the open file, shared with systemd's copy, which
 * systemd polls only while the service is not running.
 *
 * <p>Java 21 has no public fcntl; the JDK's own {@code sun.nio.ch.IOUtil.configureBlocking} does
 * it, reachable with {@code Add-Exports: java.base/sun.nio.ch} in the jar's manifest.
 */
final class NonBlockingMode {

    /** fcntl.h, generic ABI; {@code /proc/PID/fdinfo} prints the flags in octal. */
    static final int O_NONBLOCK = 04000;

    private NonBlockingMode() {
    }

    static void ensure(int fd) throws IOException {
        if (isSet(Files.readString(Path.of("/proc/self/fdinfo/" + fd)))) {
            return;
        }
        try {
            Class<?> ioUtil = Class.forName("sun.nio.ch.IOUtil");
            Method newFd = ioUtil.getMethod("newFD", int.class);
            Method configureBlocking = ioUtil.getMethod("configureBlocking", java.io.FileDescriptor.class, boolean.class);
            configureBlocking.invoke(null, newFd.invoke(null, fd), false);
        } catch (InvocationTargetException e) {
            throw new IOException("fd " + fd + ": cannot make it non-blocking: " + e.getCause().getMessage(), e.getCause());
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IOException("fd " + fd + " is in blocking mode and this JVM does not let wavelb change that (" + e
                    + "); run it with --add-exports java.base/sun.nio.ch=ALL-UNNAMED (wavelb.jar's manifest sets it"
                    + " for java -jar)", e);
        }
    }

    /** Whether the {@code flags:} line of a {@code /proc/PID/fdinfo/FD} text (proc(5)) has O_NONBLOCK. */
    static boolean isSet(String fdinfo) {
        for (String line : fdinfo.split("\n")) {
            if (line.startsWith("flags:")) {
                return (Integer.parseInt(line.substring("flags:".length()).trim(), 8) & O_NONBLOCK) != 0;
            }
        }
        throw new IllegalArgumentException("no flags: line in fdinfo");
    }
}
