package io.wavelb.core.systemd;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.core.testing.Commands;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The shipped units pass {@code systemd-analyze verify} with no warning at all. */
@Timeout(60)
class SystemdUnitTest {

    @TempDir
    Path dir;

    /** Verifies {@code unit} with its ExecStart pointed at this checkout's launcher; returns what verify printed. */
    private String verify(String unitText) throws Exception {
        return verify(unitText, "wavelb.service");
    }

    private String verify(String unitText, String name) throws Exception {
        Path bin = Path.of("../bin").toAbsolutePath().normalize();
        Path unit = dir.resolve(name);
        Files.writeString(unit, unitText.replace("/opt/wavelb/bin/", bin + "/"));
        StringBuilder out = new StringBuilder();
        int exit = Commands.run(List.of("systemd-analyze", "verify", unit.toString()), out, 30);
        assertThat(exit).as("systemd-analyze verify within 30 s: %s", out).isNotNegative();
        return "exit " + exit + (out.toString().isBlank() ? "" : "\n" + out);
    }

    @Test
    void shippedUnitVerifiesCleanly() throws Exception {
        String unit = Files.readString(Path.of("../packaging/systemd/wavelb.service"));
        assertThat(unit).contains("Type=notify").contains("ExecReload=/bin/kill -HUP $MAINPID").contains("WatchdogSec=")
                .contains("AmbientCapabilities=CAP_NET_BIND_SERVICE").contains("NoNewPrivileges=yes");
        assertThat(verify(unit)).isEqualTo("exit 0");
    }

    @Test
    void shippedAgentUnitVerifiesCleanlyAndStopsBeforeTheBalancer() throws Exception {
        String unit = Files.readString(Path.of("../packaging/systemd/wavelb-agent.service"));
        assertThat(unit).contains("After=network-online.target wavelb.service").contains("TimeoutStopSec=420s");
        // verified beside the balancer's unit, which it orders itself after
        Files.writeString(dir.resolve("wavelb.service"), Files.readString(Path.of("../packaging/systemd/wavelb.service"))
                .replace("/opt/wavelb/bin/", Path.of("../bin").toAbsolutePath().normalize() + "/"));
        assertThat(verify(unit, "wavelb-agent.service")).isEqualTo("exit 0");
    }

    @Test
    void shippedSocketUnitVerifiesCleanlyAndNamesItsSocketsForAListener() throws Exception {
        String unit = Files.readString(Path.of("../packaging/systemd/wavelb.socket"));
        assertThat(unit).contains("FileDescriptorName=edge").contains("Service=wavelb.service").contains("Accept=no");
        // verified beside the service it activates
        Files.writeString(dir.resolve("wavelb.service"), Files.readString(Path.of("../packaging/systemd/wavelb.service"))
                .replace("/opt/wavelb/bin/", Path.of("../bin").toAbsolutePath().normalize() + "/"));
        assertThat(verify(unit, "wavelb.socket")).isEqualTo("exit 0");
    }

    @Test
    void aBrokenUnitIsCaughtByTheSameCheck() throws Exception {
        String unit = Files.readString(Path.of("../packaging/systemd/wavelb.service")).replace("Type=notify", "Type=notifyy");
        assertThat(verify(unit)).contains("Failed to parse service type");
    }
}
