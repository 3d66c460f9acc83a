package io.wavelb.core.admin;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Reads {@code admin.token_file}: a regular file (checked before it is opened, so a FIFO never
 * blocks the open and {@code /dev/zero} is never read), at most {@link #MAX_BYTES} bytes (at most
 * one more is read to tell), on a thread of its own with a {@link #TIMEOUT}: a file system that
 * hangs (a dead NFS mount) costs that thread, never an event loop, the reload lock or SIGTERM.
 */
public final class TokenFile {

    /** A bearer token is a few dozen bytes; a file larger than this is the wrong file. */
    public static final int MAX_BYTES = 4096;
    /** How long a read may take before the start or reload gives up on it. */
    public static final Duration TIMEOUT = Duration.ofSeconds(5);
    /**
     * Reads that may hang at once. A read stuck in the kernel cannot be interrupted; its thread is
     * a daemon and stays, so past this many the next read is refused instead of adding threads.
     */
    static final int MAX_STUCK_READS = 2;

    private static final Semaphore READERS = new Semaphore(MAX_STUCK_READS);

    private TokenFile() {
    }

    /**
     * The token (trimmed, non-empty), or null when there is no token file.
     *
     * @throws IOException naming the file and why it was refused
     */
    public static byte[] read(Optional<Path> file) throws IOException {
        if (file.isEmpty()) {
            return null;
        }
        Path path = file.get();
        if (!READERS.tryAcquire()) {
            throw new IOException(where(path) + "cannot read: " + MAX_STUCK_READS + " earlier reads of token files are still hanging");
        }
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        Thread reader = Thread.ofPlatform().daemon().name("wavelb-token-read").unstarted(() -> {
            // The permit goes back before the caller hears the answer: a caller that reads again
            // at once must find it free, or back-to-back reads are refused as "hanging".
            byte[] token = null;
            Exception failure = null;
            try {
                token = readNow(path);
            } catch (IOException | RuntimeException e) {
                failure = e;
            } finally {
                READERS.release();
            }
            if (failure == null) {
                result.complete(token);
            } else {
                result.completeExceptionally(failure);
            }
        });
        try {
            reader.start();
        } catch (RuntimeException | OutOfMemoryError e) {
            READERS.release();
            throw new IOException(where(path) + "cannot start a thread to read it: " + e, e);
        }
        try {
            return result.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IOException(where(path) + "cannot read: no answer within " + TIMEOUT.toSeconds() + "s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(where(path) + "cannot read: interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(where(path) + "cannot read: " + e.getCause(), e.getCause());
        }
    }

    /** The checks and the read, on the calling thread. */
    static byte[] readNow(Path path) throws IOException {
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(path, BasicFileAttributes.class);
        } catch (IOException e) {
            throw new IOException(where(path) + "cannot read: " + describe(e), e);
        }
        if (!attrs.isRegularFile()) {
            throw new IOException(where(path) + "not a regular file (" + kind(path, attrs)
                    + "); the token must be in a regular file of at most " + MAX_BYTES + " bytes");
        }
        if (attrs.size() > MAX_BYTES) {
            throw new IOException(where(path) + "too large: " + attrs.size() + " bytes (a token file holds at most "
                    + MAX_BYTES + " bytes)");
        }
        byte[] raw;
        try (InputStream in = Files.newInputStream(path)) {
            // The file may have grown since the size check: read one byte more than allowed, to tell.
            raw = in.readNBytes(MAX_BYTES + 1);
        } catch (IOException e) {
            throw new IOException(where(path) + "cannot read: " + describe(e), e);
        }
        if (raw.length > MAX_BYTES) {
            throw new IOException(where(path) + "too large: more than " + MAX_BYTES + " bytes");
        }
        String t = new String(raw, StandardCharsets.UTF_8).strip();
        if (t.isEmpty()) {
            throw new IOException(where(path) + "is empty");
        }
        return t.getBytes(StandardCharsets.UTF_8);
    }

    private static String where(Path path) {
        return "admin.token_file " + path + ": ";
    }

    private static String kind(Path path, BasicFileAttributes attrs) {
        if (attrs.isDirectory()) {
            return "a directory";
        }
        try {
            // st_mode's file type bits (stat(2)); the "unix" view exists on Linux and macOS.
            int type = (Integer) Files.getAttribute(path, "unix:mode") & 0170000;
            switch (type) {
                case 0010000 -> {
                    return "a FIFO: reading it would wait for a writer";
                }
                case 0020000 -> {
                    return "a character device";
                }
                case 0060000 -> {
                    return "a block device";
                }
                case 0140000 -> {
                    return "a socket";
                }
                default -> {
                }
            }
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            // fall through to the generic answer
        }
        return "a device, FIFO or socket";
    }

    private static String describe(IOException e) {
        return e instanceof java.nio.file.NoSuchFileException ? "no such file"
                : e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                : e.getMessage();
    }
}
