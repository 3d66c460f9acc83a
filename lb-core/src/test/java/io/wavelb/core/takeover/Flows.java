package io.wavelb.core.takeover;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * UDP flows through the balancer, each on its own socket (one client address:port, so one
 * session): a request every {@code every} ms, each waiting up to a second for its echo. Bounded:
 * at most {@code maxRequests} each; {@link #stop} ends them sooner.
 */
final class Flows implements AutoCloseable {

    private final List<Thread> threads = new ArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicInteger asked = new AtomicInteger();
    private final AtomicInteger answered = new AtomicInteger();
    private final AtomicInteger[] answeredByFlow;

    Flows(InetSocketAddress vip, int count, long everyMillis, int maxRequests) {
        answeredByFlow = new AtomicInteger[count];
        for (int f = 0; f < count; f++) {
            int flow = f;
            answeredByFlow[f] = new AtomicInteger();
            threads.add(Thread.ofPlatform().daemon().name("flow-" + f).start(() -> run(vip, flow, everyMillis, maxRequests)));
        }
    }

    private void run(InetSocketAddress vip, int flow, long everyMillis, int maxRequests) {
        try (DatagramSocket s = new DatagramSocket()) {
            s.connect(vip);
            s.setSoTimeout(1000);
            byte[] buf = new byte[2048];
            for (int seq = 0; seq < maxRequests && running.get(); seq++) {
                byte[] req = ("flow" + flow + ":" + seq).getBytes(StandardCharsets.UTF_8);
                s.send(new DatagramPacket(req, req.length));
                asked.incrementAndGet();
                long deadline = System.nanoTime() + 1_000_000_000L;
                while (System.nanoTime() < deadline) {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    try {
                        s.receive(p);
                    } catch (SocketTimeoutException e) {
                        break;
                    }
                    if (new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8).equals("t|" + new String(req, StandardCharsets.UTF_8))) {
                        answered.incrementAndGet();
                        answeredByFlow[flow].incrementAndGet();
                        break;
                    }
                }
                Thread.sleep(everyMillis);
            }
        } catch (IOException | InterruptedException e) {
            // the flow ends; what it counted stands
        }
    }

    int asked() {
        return asked.get();
    }

    int answered() {
        return answered.get();
    }

    /** The fewest answers any flow got so far. */
    int leastAnswered() {
        int least = Integer.MAX_VALUE;
        for (AtomicInteger a : answeredByFlow) {
            least = Math.min(least, a.get());
        }
        return least;
    }

    void stop() throws InterruptedException {
        running.set(false);
        for (Thread t : threads) {
            t.join(5000);
        }
    }

    String summary() {
        return answered() + " of " + asked() + " requests answered";
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
