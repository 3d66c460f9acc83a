package io.wavelb.core.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class LibCTest {

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle SOCKET = LINKER.downcallHandle(LINKER.defaultLookup().find("socket").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle CLOSE = LINKER.downcallHandle(LINKER.defaultLookup().find("close").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final int SOCK_DGRAM = 2;

    /** O_NONBLOCK as /proc/self/fdinfo tells it (proc(5): flags in octal), not as wavelb's own call reads it. */
    private static boolean nonBlocking(int fd) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd))) {
            if (line.startsWith("flags:")) {
                return (Integer.parseInt(line.substring("flags:".length()).trim(), 8) & LibC.O_NONBLOCK) != 0;
            }
        }
        throw new AssertionError("no flags: line for fd " + fd);
    }

    @Test
    void setsNonBlockingOnABlockingSocketAsSystemdPassesThem() throws Throwable {
        int fd = (int) SOCKET.invokeExact(LibC.AF_INET, SOCK_DGRAM, 0);
        assertThat(fd).isGreaterThanOrEqualTo(0);
        try {
            assertThat(nonBlocking(fd)).isFalse();
            assertThat(LibC.setNonBlocking(fd)).as("was it set already").isFalse();
            assertThat(nonBlocking(fd)).isTrue();
            assertThat(LibC.setNonBlocking(fd)).as("was it set already").isTrue();
            assertThat(nonBlocking(fd)).isTrue();
        } finally {
            int closed = (int) CLOSE.invokeExact(fd);
            assertThat(closed).isZero();
        }
    }

    @Test
    void aClosedDescriptorIsAnErrorNamingTheCallAndErrno() {
        assertThatThrownBy(() -> LibC.setNonBlocking(Integer.MAX_VALUE))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("F_GETFL")
                .hasMessageContaining("errno 9"); // EBADF
    }
}
