package io.wavelb.bench;

import io.wavelb.core.session.ClientAddress;
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
 * Keys are {@link ClientAddress}es, as the data plane's are, looked up the way a datagram is: one
 * reused probe set from the sender's numbers (what the listener decodes from the kernel's
 * {@code sockaddr}); seeded inputs. {@code lookupIpv6} does the same with IPv6 senders.
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

    SessionTable<ClientAddress, Session> table;
    /** Each session's sender as the kernel reports it: IPv4 address (host order) and port; IPv6 low half and port. */
    int[] v4;
    int[] ports;
    long[] v6;
    ClientAddress[] fresh;
    Object[] targets;
    final ClientAddress probe = ClientAddress.probe();
    int i;

    @Setup(Level.Trial)
    public void setup() throws UnknownHostException {
        Random random = new Random(42);
        targets = new Object[] {"t1", "t2", "t3"};
        table = new SessionTable<>();
        v4 = new int[sessions];
        ports = new int[sessions];
        v6 = new long[sessions];
        for (int n = 0; n < sessions; n++) {
            v4[n] = 0x0A00_0000 | random.nextInt(1 << 24);
            ports[n] = 1024 + random.nextInt(60000);
            v6[n] = random.nextLong();
            if (table.get(probe.setV4(v4[n], ports[n])) == null) {
                table.put(probe.copy(), new Session(targets[n % 3], 0));
            }
            if (table.get(probe.setV6(0x2001_0DB8_0000_0000L, v6[n], ports[n], 0)) == null) {
                table.put(probe.copy(), new Session(targets[n % 3], 0));
            }
        }
        fresh = new ClientAddress[4096];
        for (int n = 0; n < fresh.length; n++) {
            fresh[n] = ClientAddress.of(new InetSocketAddress(InetAddress.getByAddress(new byte[] {11, 0, (byte) (n >> 8), (byte) n}), 5000));
        }
    }

    /** What every datagram of an existing IPv4 flow pays: the probe set from the sender, then the lookup. */
    @Benchmark
    public Session lookup() {
        int n = (i++ & 0x7fffffff) % v4.length;
        return table.get(probe.setV4(v4[n], ports[n]));
    }

    /** The same for an IPv6 sender. */
    @Benchmark
    public Session lookupIpv6() {
        int n = (i++ & 0x7fffffff) % v6.length;
        return table.get(probe.setV6(0x2001_0DB8_0000_0000L, v6[n], ports[n], 0));
    }

    /** A new flow's insert and, later, its removal. */
    @Benchmark
    public Session insertThenRemove() {
        ClientAddress k = fresh[(i++) & 4095];
        table.put(k, new Session(targets[i % 3], 0));
        return table.remove(k);
    }

    /** One idle sweep over the whole table with nothing to expire. */
    @Benchmark
    public int sweepFullTableNothingExpires() {
        return table.expire(1, Long.MAX_VALUE, s -> { });
    }
}
