package io.wavelb.core;

import io.wavelb.core.transparent.HostFacts;
import io.wavelb.core.transparent.IpFamily;
import io.wavelb.core.transport.Transport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Gathers the {@link HostFacts} transparent mode depends on: {@code CapEff} from
 * {@code /proc/self/status}, and per family {@code ip rule show} and {@code ip route show table all}
 * (iproute2; each run bounded to 5 s). The judging is {@code transparent.HostCheck}'s.
 */
public final class HostProbe {

    private static final long COMMAND_SECONDS = 5;

    private HostProbe() {
    }

    /** The facts for {@code families} on this host, for a process using {@code transport}. */
    public static HostFacts gather(Transport transport, Set<IpFamily> families) {
        Map<IpFamily, HostFacts.Routing> routing = new EnumMap<>(IpFamily.class);
        for (IpFamily f : families) {
            routing.put(f, routing(f));
        }
        return new HostFacts(capEff(), transport.transparentProblem(), routing);
    }

    /** The effective capability mask; 0 when it cannot be read (the check then says none is held). */
    static long capEff() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.US_ASCII)) {
                if (line.startsWith("CapEff:")) {
                    return HostFacts.parseCapEff(line.substring("CapEff:".length()));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // treated as no capability
        }
        return 0;
    }

    private static HostFacts.Routing routing(IpFamily family) {
        try {
            return HostFacts.Routing.of(run("ip", family.ipFlag, "rule", "show"),
                    run("ip", family.ipFlag, "route", "show", "table", "all"));
        } catch (IOException e) {
            return HostFacts.Routing.unknown(e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return HostFacts.Routing.unknown("interrupted");
        }
    }

    private static List<String> run(String... command) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException("cannot run " + command[0] + " (iproute2): " + e.getMessage(), e);
        }
        // The output of either command is a few KiB at most, well within the pipe's buffer until read.
        if (!p.waitFor(COMMAND_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not finish in " + COMMAND_SECONDS + " s");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " exited " + p.exitValue() + ": " + out.strip());
        }
        return out.lines().toList();
    }
}
