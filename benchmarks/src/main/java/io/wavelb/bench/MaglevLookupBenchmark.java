package io.wavelb.bench;

import io.wavelb.config.Algorithm;
import io.wavelb.core.balance.Backend;
import io.wavelb.core.balance.Picker;
import io.wavelb.core.balance.MaglevTable;
import java.util.ArrayList;
import java.util.List;
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

/**
 * One new-flow pick over 100 backends and a 65537-slot table, with random (seeded) flow hashes so the
 * table load is a cache miss into a 256 KiB array as in production, not one hot line.
 * {@code lookupMultiplyHigh} is the alternative slot mapping (Lemire's multiply-shift range reduction)
 * measured next to the {@code hash mod M} that MaglevTable uses, to show what the division costs.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class MaglevLookupBenchmark {

    private static final int MASK = 4095;

    MaglevTable table;
    Picker maglev;
    Picker roundRobin;
    Picker leastConnections;
    long[] hashes;
    int[] excluded;
    int next;

    @Setup
    public void setUp() {
        List<Backend> backends = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            backends.add(Backend.of("10.0.0." + (i + 1) + ":7000"));
        }
        table = MaglevTable.build(backends, 65537);
        maglev = Picker.of(Algorithm.MAGLEV, backends, 65537);
        roundRobin = Picker.of(Algorithm.ROUND_ROBIN, backends, 65537);
        leastConnections = Picker.of(Algorithm.LEAST_CONNECTIONS, backends, 65537);
        Random random = new Random(42);
        hashes = new long[MASK + 1];
        for (int i = 0; i < hashes.length; i++) {
            hashes[i] = random.nextLong();
        }
        excluded = new int[] {table.lookup(hashes[0])};
    }

    private long nextHash() {
        return hashes[next++ & MASK];
    }

    @Benchmark
    public int lookup() {
        return table.lookup(nextHash());
    }

    @Benchmark
    public int lookupMultiplyHigh() {
        return table.entryAt((int) Math.unsignedMultiplyHigh(nextHash(), table.size()));
    }

    @Benchmark
    public int lookupExcludingOne() {
        return table.lookupExcluding(nextHash(), excluded, 1);
    }

    @Benchmark
    public int maglevPick() {
        return maglev.pick(nextHash());
    }

    @Benchmark
    public int roundRobinPick() {
        return roundRobin.pick(nextHash());
    }

    @Benchmark
    public int leastConnectionsPick() {
        return leastConnections.pick(nextHash());
    }
}
