package io.wavelb.bench;

import io.wavelb.core.balance.FlowHash;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** Hashing a new flow's 5-tuple (and client address), with seeded random clients. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class FlowHashBenchmark {

    private static final int MASK = 1023;

    InetAddress[] clients4;
    InetAddress[] clients6;
    int[] ports;
    InetAddress listener4;
    InetAddress listener6;
    int next;

    @Setup
    public void setUp() throws UnknownHostException {
        Random random = new Random(42);
        clients4 = new InetAddress[MASK + 1];
        clients6 = new InetAddress[MASK + 1];
        ports = new int[MASK + 1];
        for (int i = 0; i <= MASK; i++) {
            byte[] v4 = new byte[4];
            byte[] v6 = new byte[16];
            random.nextBytes(v4);
            random.nextBytes(v6);
            v6[0] = 0x20;
            clients4[i] = InetAddress.getByAddress(v4);
            clients6[i] = InetAddress.getByAddress(v6);
            ports[i] = 1024 + random.nextInt(64512);
        }
        listener4 = InetAddress.getByName("198.51.100.1");
        listener6 = InetAddress.getByName("2001:db8:ffff::1");
    }

    @Benchmark
    public long fiveTupleIpv4() {
        int i = next++ & MASK;
        return FlowHash.fiveTuple(FlowHash.UDP, clients4[i], ports[i], listener4, 7000);
    }

    @Benchmark
    public long fiveTupleIpv6() {
        int i = next++ & MASK;
        return FlowHash.fiveTuple(FlowHash.UDP, clients6[i], ports[i], listener6, 7000);
    }

    @Benchmark
    public long sourceIpIpv4() {
        return FlowHash.sourceIp(clients4[next++ & MASK]);
    }
}
