package io.wavelb.core.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A child's output (its stdout, merged with stderr by the caller's {@code redirectErrorStream}),
 * read line by line on a thread of its own. A read on a pipe cannot be interrupted, so neither a
 * JUnit {@code @Timeout} nor {@code waitFor(timeout)} frees a test thread blocked in it; here the
 * test thread only ever waits with a bound, and a line that never comes fails the test with
 * everything the child said so far.
 */
public final class ProcessOutput {

    /** How long {@link #await} waits for a line on a busy machine. */
    public static final Duration LINE_LIMIT = Duration.ofSeconds(30);

    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> seen = Collections.synchronizedList(new ArrayList<>());
    private final Thread reader;

    public ProcessOutput(Process p) {
        // A daemon: a grandchild still holding the pipe open keeps it reading, never the JVM alive.
        reader = Thread.ofPlatform().daemon().name("output of pid " + p.pid()).start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    seen.add(line);
                    lines.add(line);
                }
            } catch (IOException e) {
                // the child and its pipe are gone
            }
        });
    }

    /** The next line containing {@code needle}, waiting at most {@link #LINE_LIMIT} for it. */
    public String await(String needle) throws InterruptedException {
        long deadline = System.nanoTime() + LINE_LIMIT.toNanos();
        for (long left; (left = deadline - System.nanoTime()) > 0; ) {
            String line = lines.poll(left, TimeUnit.NANOSECONDS);
            if (line != null && line.contains(needle)) {
                return line;
            }
        }
        throw new AssertionError("no line with '" + needle + "' in " + LINE_LIMIT.toSeconds() + " s; the child said:\n" + text());
    }

    /** Waits at most {@code limit} for the end of the output (the child and whatever inherited its pipe are gone). */
    public boolean awaitEnd(Duration limit) throws InterruptedException {
        return reader.join(limit);
    }

    /** Every line read so far, each ended by a newline. */
    public String text() {
        StringBuilder all = new StringBuilder();
        synchronized (seen) {
            seen.forEach(line -> all.append(line).append('\n'));
        }
        return all.toString();
    }
}
