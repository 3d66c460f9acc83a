package io.wavelb.core.testing;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** Puts a copy of a socket at a chosen descriptor number, as a new socket of another thread would take it. */
public final class DescriptorNumbers {

    private static final int F_DUPFD_CLOEXEC = 1030;
    private static final MethodHandle FCNTL = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("fcntl").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
            Linker.Option.firstVariadicArg(2));

    private DescriptorNumbers() {
    }

    /** A copy of {@code fd} at the lowest free number from {@code lowest} on: {@code lowest} itself when it is free. */
    public static int copyAt(int fd, int lowest) throws IOException {
        int r;
        try {
            r = (int) FCNTL.invokeExact(fd, F_DUPFD_CLOEXEC, lowest);
        } catch (Throwable t) {
            throw new IllegalStateException("fcntl", t);
        }
        if (r < 0) {
            throw new IOException("fcntl(" + fd + ", F_DUPFD_CLOEXEC, " + lowest + ") failed");
        }
        return r;
    }
}
