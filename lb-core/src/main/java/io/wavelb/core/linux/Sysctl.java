package io.wavelb.core.linux;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Reads a kernel setting of this process's network namespace from {@code /proc/sys}. */
public final class Sysctl {

    private Sysctl() {
    }

    /**
     * The first line of {@code name} ({@code net.core.rmem_max}), trimmed; empty where it cannot be
     * read (not Linux, no such setting). Read by line: procfs reports a size that
     * {@code Files.readString} trusts and cuts at (it read "4" for rmem_max).
     */
    public static Optional<String> read(String name) {
        try (BufferedReader r = Files.newBufferedReader(Path.of("/proc/sys", name.replace('.', '/')))) {
            String line = r.readLine();
            return line == null ? Optional.empty() : Optional.of(line.trim());
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
