package io.wavelb.bench;

import io.wavelb.core.session.SessionTable;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-loop UDP session table: the lookup every datagram pays, the insert and remove a new and
 * an ended flow pay, and one idle sweep over a full table (run every 50 ms..1 s, not per packet).
 * Keys are {@link InetSocketAddress}es, as the data plane's are; seeded inputs.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class SessionTableBenchmark {

    static final class Session implements SessionTable.Session {
        final Object target;
        long lastSeen;

        Session(Object target, long lastSeen) {
            this.target = target;
            this.lastSeen = lastSeen;
        }

        @Override
        public Object target() {
            return target;
        }

        @Override
        public long lastSeenNanos() {
            return lastSeen;
        }
    }

    @Param({"1000", "100000"})
    int sessions;

    SessionTable<InetSocketAddress, Session> table;
    InetSocketAddress[] keys;
    InetSocketAddress[] fresh;
    Object[] targets;
    int i;

    @Setup(Level.Trial)
    public void setup() throws UnknownHostException {
        Random random = new Random(42);
        targets = new Object[] {"t1", "t2", "t3"};
        table = new SessionTable<>();
        keys = new InetSocketAddress[sessions];
        for (int n = 0; n < sessions; n++) {
            byte[] ip = {10, (byte) random.nextInt(256), (byte) random.nextInt(256), (byte) random.nextInt(256)};
            keys[n] = new InetSocketAddress(InetAddress.getByAddress(ip), 1024 + random.nextInt(60000));
            if (table.get(keys[n]) == null) {
                table.put(keys[n], new Session(targets[n % 3], 0));
            }
        }
        fresh = new InetSocketAddress[4096];
        for (int n = 0; n < fresh.length; n++) {
            fresh[n] = new InetSocketAddress(InetAddress.getByAddress(new byte[] {11, 0, (byte) (n >> 8), (byte) n}), 5000);
        }
    }

    /** What every datagram of an existing flow pays. */
    @Benchmark
    public Session lookup() {
        return table.get(keys[(i++ & 0x7fffffff) % keys.length]);
    }

    /** A new flow's insert and, later, its removal. */
    @Benchmark
    public Session insertThenRemove() {
        InetSocketAddress k = fresh[(i++) & 4095];
        table.put(k, new Session(targets[i % 3], 0));
        return table.remove(k);
    }

    /** One idle sweep over the whole table with nothing to expire. */
    @Benchmark
    public int sweepFullTableNothingExpires() {
        return table.expire(1, Long.MAX_VALUE, s -> { });
    }
}
