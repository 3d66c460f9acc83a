package io.wavelb.core.flowlog;

import io.wavelb.config.FlowLogConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The process's flow log, as the data plane sees it: whether a new flow is logged (one volatile
 * read and a hash, no allocation), whether its start is, and where its records go. What is behind
 * it (off, or a {@link FlowLogWriter} with its sampling) is one immutable {@link Active} swapped
 * whole by a reload, so the event loops never lock.
 */
public final class FlowLog implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(FlowLog.class.getName());

    /** Never logs: what a listener reads until the balancer gives it the process's flow log. */
    public static final FlowLog OFF = new FlowLog();

    private record Active(FlowLogConfig config, FlowSampler sampler, FlowLogWriter writer) {
    }

    private final FlowLogCounters counters = new FlowLogCounters();
    /** Serialises reloads and close (they open and close files, so not {@code synchronized}). */
    private final ReentrantLock changes = new ReentrantLock();
    /** Null while flow logs are off. */
    private volatile Active active;
    private FlowLogConfig config = FlowLogConfig.OFF;

    private FlowLog() {
    }

    /**
     * The flow log {@code config} asks for, its file open and its writer started (or off).
     *
     * @throws IOException naming the file that cannot be opened and why
     */
    public static FlowLog start(FlowLogConfig config) throws IOException {
        FlowLog log = new FlowLog();
        log.active = log.activate(config);
        log.config = config;
        if (config.enabled()) {
            LOG.log(System.Logger.Level.INFO, "flow log: " + describe(config));
        }
        return log;
    }

    private Active activate(FlowLogConfig c) throws IOException {
        return c.enabled() ? new Active(c, new FlowSampler(c.sample()), new FlowLogWriter(c, counters)) : null;
    }

    /** Whether the flow whose key is {@code flowKey} is logged; decided once, when it starts. */
    public boolean sampled(long flowKey) {
        Active a = active;
        return a != null && a.sampler.sampled(flowKey);
    }

    /** Whether a logged flow also gets a record when it starts. */
    public boolean onStart() {
        Active a = active;
        return a != null && a.config.onStart();
    }

    /** Hands {@code r} to the writer; dropped (and counted) when its queue is full. Never blocks. */
    public void record(FlowRecord r) {
        Active a = active;
        if (a != null) {
            a.writer.offer(r);
        }
    }

    /** SIGUSR1: the writer closes its file and opens it again by name (logrotate moved it). */
    public void reopen() {
        Active a = active;
        if (a != null) {
            a.writer.reopen();
        }
    }

    /**
     * A reload's first step: checks that {@code next} can be applied (its file opens; nothing else
     * changes yet) and returns what applies it. The same config keeps the running writer.
     *
     * @throws IOException naming the file that cannot be opened and why: the reload is refused
     */
    public Runnable prepare(FlowLogConfig next) throws IOException {
        changes.lock();
        try {
            if (next.equals(config)) {
                return () -> { };
            }
            if (next.path().isPresent()) {
                // Opened and closed only: a reload refused later must leave no thread or descriptor behind.
                try (OutputStream probe = FlowLogWriter.open(next.path().get())) {
                    probe.flush();
                }
            }
        } finally {
            changes.unlock();
        }
        return () -> swap(next);
    }

    private void swap(FlowLogConfig next) {
        Active before;
        changes.lock();
        try {
            before = active;
            active = activate(next);
            config = next;
            LOG.log(System.Logger.Level.INFO, "flow log: " + describe(next));
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "flow log: the reloaded destination failed to open after it was checked;"
                    + " the previous one stays: " + e.getMessage());
            return;
        } finally {
            changes.unlock();
        }
        if (before != null) {
            // Off the reload lock: the old writer writes what it has queued, then closes.
            Thread.ofPlatform().daemon().name("wavelb-flow-log-close").start(() -> before.writer.close());
        }
    }

    private static String describe(FlowLogConfig c) {
        if (!c.enabled()) {
            return "off";
        }
        return "to " + c.path().map(Object::toString).orElse("standard output") + " (" + c.format().yamlName()
                + (c.sample() < 1 ? ", sample " + c.sample() : "") + (c.onStart() ? ", with start records" : "") + ")";
    }

    public FlowLogCounters counters() {
        return counters;
    }

    /** Records waiting for the writer now. */
    public int queued() {
        Active a = active;
        return a == null ? 0 : a.writer.queued();
    }

    /** Writes what is queued and closes the file, waiting up to 5 s. */
    @Override
    public void close() {
        Active a;
        changes.lock();
        try {
            a = active;
            active = null;
            config = FlowLogConfig.OFF;
        } finally {
            changes.unlock();
        }
        if (a != null) {
            a.writer.close(5, TimeUnit.SECONDS);
        }
    }
}
