package io.wavelb.config;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Flow logs: one record per flow that ends (and, with {@code onStart}, one when it starts), written
 * by a thread of their own to a file or to standard output.
 *
 * @param path    the file records are appended to; empty when they go to standard output or nowhere
 * @param stdout  records go to standard output
 * @param format  one JSON object per line, or logfmt ({@code key=value} pairs)
 * @param sample  the share of flows logged, {@code 0 < sample <= 1}; decided once per flow, at its start
 * @param onStart also a record when a flow starts
 * @param queue   records waiting for the writer at most; past it records are dropped and counted
 */
public record FlowLogConfig(Optional<Path> path, boolean stdout, Format format, double sample, boolean onStart,
                            int queue) {

    /**
     * 65,536 records: about 6 MiB of heap when full (a record is about 100 bytes, its addresses
     * shared with the flow), a few seconds of a flow-heavy balancer's ends if the disk stalls.
     */
    public static final int DEFAULT_QUEUE = 65_536;
    public static final int MAX_QUEUE = 1 << 22;
    public static final FlowLogConfig OFF = new FlowLogConfig(Optional.empty(), false, Format.JSON, 1.0, false,
            DEFAULT_QUEUE);

    public enum Format {
        JSON, LOGFMT;

        public String yamlName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public FlowLogConfig {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(format, "format");
        if (path.isPresent() && stdout) {
            throw new IllegalArgumentException("path and stdout (expected one destination)");
        }
        if (!(sample > 0 && sample <= 1)) {
            throw new IllegalArgumentException("sample " + sample + " (expected 0 < sample <= 1)");
        }
        if (queue < 1 || queue > MAX_QUEUE) {
            throw new IllegalArgumentException("queue " + queue + " (expected 1.." + MAX_QUEUE + ")");
        }
    }

    /** Whether flows are logged at all. */
    public boolean enabled() {
        return path.isPresent() || stdout;
    }
}
