package io.wavelb.core.chaos;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP target on plain JDK sockets. {@code streaming}: writes to every connection as fast as it
 * can until the connection breaks. Otherwise a sink that accepts and never reads.
 */
final class StreamingTarget implements AutoCloseable {

    private final ServerSocket server;
    private final boolean streaming;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger accepted = new AtomicInteger();
    private volatile boolean closed;

    private StreamingTarget(boolean streaming) throws IOException {
        this.streaming = streaming;
        this.server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096);
        threads.submit(this::accept);
    }

    static StreamingTarget streaming() throws IOException {
        return new StreamingTarget(true);
    }

    static StreamingTarget sink() throws IOException {
        return new StreamingTarget(false);
    }

    String address() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    int accepted() {
        return accepted.get();
    }

    /** Accepted sockets still open on this side. */
    Set<Socket> open() {
        return open;
    }

    private void accept() {
        while (!closed) {
            try {
                Socket s = server.accept();
                accepted.incrementAndGet();
                open.add(s);
                if (streaming) {
                    // A small send buffer keeps the kernel's share per connection small; the
                    // balancer's buffers are what this test is about.
                    s.setSendBufferSize(32 * 1024);
                    threads.submit(() -> stream(s));
                }
            } catch (IOException e) {
                return;
            }
        }
    }

    private void stream(Socket s) {
        byte[] chunk = new byte[64 * 1024];
        try (s) {
            var out = s.getOutputStream();
            while (!closed) {
                out.write(chunk);
            }
        } catch (IOException e) {
            // the balancer closed the connection
        } finally {
            open.remove(s);
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (Socket s : open) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        threads.shutdownNow();
    }
}
