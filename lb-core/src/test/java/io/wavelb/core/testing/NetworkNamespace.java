package io.wavelb.core.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A network namespace a test creates for itself ({@code @RegisterExtension}), deleted after each
 * test, and child JVMs run inside it with {@code ip netns exec}. Needs root and iproute2, as CI has.
 */
public final class NetworkNamespace implements AfterEachCallback {

    private final String name;

    /** A namespace named {@code prefix-PID}, so concurrent builds do not collide. */
    public NetworkNamespace(String prefix) {
        this.name = prefix + "-" + ProcessHandle.current().pid();
    }

    public String name() {
        return name;
    }

    /** Creates the namespace, with its loopback up. */
    public void create() throws Exception {
        Commands.ip("netns", "add", name);
        ip("link", "set", "lo", "up");
    }

    /** {@code ip -n NAME ARGS...}, asserted to succeed. */
    public void ip(String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("-n", name));
        all.addAll(List.of(args));
        Commands.ip(all.toArray(String[]::new));
    }

    /**
     * Runs {@code main} in a JVM inside the namespace, on this test's class path, with paranoid leak
     * detection and {@code jvmFlags}; appends its output to {@code output}; returns its exit code
     * (-1 when it overran {@code seconds}).
     */
    public int runJava(Class<?> main, List<String> jvmFlags, List<String> args, StringBuilder output, long seconds)
            throws Exception {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", name,
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Dio.netty.leakDetection.level=paranoid"));
        command.addAll(jvmFlags);
        command.add(main.getName());
        command.addAll(args);
        return Commands.run(command, output, seconds);
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        Commands.run(List.of("ip", "netns", "delete", name), new StringBuilder(), 20);
    }
}
