package io.wavelb.core.udp;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.core.testing.Commands;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A reload that raises {@code max_datagram_size} needs a larger receive area for the listener's
 * {@code recvmmsg}; when the memory budget cannot give it, the old area stays, the listener goes on
 * forwarding datagrams up to the old size (larger ones are oversize for it), the failure is counted
 * as {@code no_memory} (once, not per retry), and the loop tries again every second, growing the
 * area once memory is back, without a reload. The budget is per process (Netty's allocator limit, fixed when Netty loads), so this runs
 * {@link AreaResizeUnderBudget} as a child JVM with a budget of its own.
 */
@Timeout(120)
class ReceiveAreaResizeSystemTest {

    @Test
    void aReloadWhoseLargerAreaDoesNotFitTheBudgetKeepsTheOldAreaAndCountsNoMemory() throws Exception {
        StringBuilder out = new StringBuilder();
        int exit = Commands.run(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"),
                "-Dio.netty.leakDetection.level=paranoid",
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-Dio.netty.maxDirectMemory=" + AreaResizeUnderBudget.LIMIT,
                "-Dio.netty.allocator.lowMemory=true",
                "-Dwavelb.udp.receiveBatch=" + AreaResizeUnderBudget.BATCH,
                AreaResizeUnderBudget.class.getName()), out, 90);
        String result = out.toString().lines().filter(l -> l.startsWith("RESIZE-RESULT")).findFirst().orElse("(none)");
        assertThat(exit).as("exit of the child balancer; output:%n%s", Commands.tail(out.toString())).isZero();
        assertThat(out.toString()).doesNotContain("LEAK:");
        assertThat(result).contains("noMemory=1 ").contains("oversize=2 ").contains("forwarded=8");
    }
}
