package io.wavelb.core.flowlog;

import io.wavelb.config.FlowLogConfig;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.NoSuchFileException;
import java.nio.file.AccessDeniedException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The writing half of flow logs: a bounded queue the event loops offer records to, and one daemon
 * thread that drains it, formats and writes. {@link #offer} never blocks, never waits for a lock
 * and makes no system call: it reserves a place in an atomic count (full: the record is dropped
 * and counted) and appends to a lock-free queue. The thread is not woken per record: it drains
 * the queue, writes what it took through a 64 KiB buffer and flushes, then sleeps
 * {@link #MIN_PARK_NANOS} (longer, up to {@link #MAX_PARK_NANOS}, while nothing comes), so at any
 * flow rate it costs one {@code write} per wake-up instead of a wake-up and a {@code write} per
 * flow (which, on a loaded core, halved the new flows per second). Only a queue half full wakes
 * it early. It reopens its file when asked ({@link #reopen}: SIGUSR1, after logrotate moved it).
 */
public final class FlowLogWriter implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(FlowLogWriter.class.getName());

    /**
     * Between drains while records come: what a record may wait before it is written, and what the
     * queue must hold meanwhile (10 ms of 1 M flows/s is 10,000 records; the default queue is 65,536).
     */
    static final long MIN_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    /** Between drains while nothing comes: an idle writer wakes 5 times a second. */
    static final long MAX_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    /** A failed file is opened again at most this often (each attempt logs). */
    private static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final int BATCH_CHARS = 32 * 1024;
    private static final FileAttribute<Set<java.nio.file.attribute.PosixFilePermission>> MODE_0640 =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r-----"));
    private static final OpenOption[] APPEND = {StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND};

    private final Optional<Path> path;
    private final FlowRecordFormat format;
    private final FlowLogCounters counters;
    private final int capacity;
    private final ConcurrentLinkedQueue<FlowRecord> queue = new ConcurrentLinkedQueue<>();
    /** Records queued: reserved before the append, released by the writer as it takes them. */
    private final AtomicInteger queued = new AtomicInteger();
    private final Thread thread;
    private volatile boolean sleeping;
    private volatile boolean reopenRequested;
    private volatile boolean closing;
    /** Owned by the writer thread once started. */
    private OutputStream out;
    private long nextRetryNanos;

    /**
     * Opens the destination of {@code config} (which must be enabled) and starts the thread.
     *
     * @throws IOException saying which file cannot be opened and why
     */
    public FlowLogWriter(FlowLogConfig config, FlowLogCounters counters) throws IOException {
        this(config, counters, config.path().isPresent() ? open(config.path().get()) : new FileOutputStream(FileDescriptor.out));
    }

    /** Writing to {@code out}, already open (the file of {@code config}, standard output, or a test's stream). */
    FlowLogWriter(FlowLogConfig config, FlowLogCounters counters, OutputStream out) {
        if (!config.enabled()) {
            throw new IllegalArgumentException("flow_log has no destination");
        }
        this.path = config.path();
        this.format = new FlowRecordFormat(config.format());
        this.counters = counters;
        this.capacity = config.queue();
        this.out = out;
        this.thread = Thread.ofPlatform().daemon().name("wavelb-flow-log").unstarted(this::run);
        thread.start();
    }

    /**
     * Opens (creating, 0640) {@code file} for appending.
     *
     * @throws IOException naming the file and the reason in words
     */
    public static OutputStream open(Path file) throws IOException {
        FileChannel ch;
        try {
            ch = FileSystems.getDefault().supportedFileAttributeViews().contains("posix")
                    ? FileChannel.open(file, Set.of(APPEND), MODE_0640)
                    : FileChannel.open(file, APPEND);
        } catch (NoSuchFileException e) {
            throw new IOException("flow_log.path: cannot open " + file + ": "
                    + (file.getParent() != null && !file.getParent().toFile().isDirectory()
                    ? "no such directory " + file.getParent() : "no such file or directory"), e);
        } catch (AccessDeniedException e) {
            throw new IOException("flow_log.path: cannot open " + file + ": permission denied", e);
        } catch (IOException e) {
            throw new IOException("flow_log.path: cannot open " + file + ": " + e.getMessage(), e);
        }
        return new java.io.BufferedOutputStream(Channels.newOutputStream(ch), 64 * 1024);
    }

    /** Queues {@code r} for writing; false (counted as dropped) when the queue is full. Never blocks. */
    public boolean offer(FlowRecord r) {
        if (queued.incrementAndGet() > capacity) {
            queued.decrementAndGet();
            counters.queueFull.increment();
            return false;
        }
        queue.offer(r);
        // Early wake-up only when the queue is half full: an unpark is a system call, not for every flow.
        if (sleeping && queued.get() > capacity / 2) {
            LockSupport.unpark(thread);
        }
        return true;
    }

    /** Records waiting for the writer. */
    public int queued() {
        return Math.max(0, Math.min(capacity, queued.get()));
    }

    /** Closes and opens the file again (by name): after logrotate renamed it. Standard output stays. */
    public void reopen() {
        reopenRequested = true;
        LockSupport.unpark(thread);
    }

    private void run() {
        StringBuilder batch = new StringBuilder(BATCH_CHARS + 1024);
        int inBatch = 0;
        long park = MIN_PARK_NANOS;
        boolean took = false;
        while (true) {
            FlowRecord r = queue.poll();
            if (r != null) {
                queued.decrementAndGet();
                took = true;
                format.append(r, batch);
                inBatch++;
                if (batch.length() >= BATCH_CHARS) {
                    write(batch, inBatch, false);
                    inBatch = 0;
                }
                continue;
            }
            if (inBatch > 0) {
                write(batch, inBatch, true);
                inBatch = 0;
            }
            if (reopenRequested) {
                reopenRequested = false;
                reopenNow();
            }
            if (closing && queue.isEmpty()) {
                break;
            }
            park = took ? MIN_PARK_NANOS : Math.min(MAX_PARK_NANOS, park * 2);
            took = false;
            sleeping = true;
            if (!reopenRequested && !closing) {
                LockSupport.parkNanos(this, park);
            }
            sleeping = false;
        }
        closeOut();
    }

    /** Writes the batch (and flushes when {@code flush}); on failure its records are dropped and counted. */
    private void write(StringBuilder batch, int records, boolean flush) {
        try {
            if (out == null) {
                retryOpen();
            }
            if (out == null) {
                counters.writeErrors.add(records);
            } else {
                out.write(batch.toString().getBytes(StandardCharsets.UTF_8));
                if (flush) {
                    out.flush();
                }
                counters.written.add(records);
            }
        } catch (IOException e) {
            counters.writeErrors.add(records);
            LOG.log(System.Logger.Level.WARNING, "flow log: cannot write to " + describe() + ": " + e.getMessage()
                    + "; its records are dropped until it can be opened again");
            closeOut();
            nextRetryNanos = System.nanoTime() + RETRY_NANOS;
        }
        batch.setLength(0);
    }

    private void retryOpen() {
        if (path.isEmpty() || System.nanoTime() - nextRetryNanos < 0) {
            return;
        }
        try {
            out = open(path.get());
            LOG.log(System.Logger.Level.INFO, "flow log: " + path.get() + " opened again");
        } catch (IOException e) {
            nextRetryNanos = System.nanoTime() + RETRY_NANOS;
            LOG.log(System.Logger.Level.WARNING, e.getMessage());
        }
    }

    private void reopenNow() {
        if (path.isEmpty()) {
            return;
        }
        closeOut();
        try {
            out = open(path.get());
            LOG.log(System.Logger.Level.INFO, "flow log: reopened " + path.get());
        } catch (IOException e) {
            nextRetryNanos = System.nanoTime() + RETRY_NANOS;
            LOG.log(System.Logger.Level.WARNING, "flow log: reopen failed: " + e.getMessage());
        }
    }

    private void closeOut() {
        if (out == null) {
            return;
        }
        try {
            out.flush();
            if (path.isPresent()) {
                out.close();
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "flow log: closing " + describe() + ": " + e.getMessage());
        }
        out = null;
    }

    private String describe() {
        return path.map(Path::toString).orElse("standard output");
    }

    /**
     * Stops taking records, writes those queued, closes the file; waits up to {@code timeout} for
     * that (a hung disk must not hold up a stop).
     */
    public void close(long timeout, TimeUnit unit) {
        closing = true;
        LockSupport.unpark(thread);
        try {
            thread.join(unit.toMillis(timeout));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        close(5, TimeUnit.SECONDS);
    }
}
