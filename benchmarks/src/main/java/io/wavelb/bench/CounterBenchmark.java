package io.wavelb.bench;

import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.stats.LoopCounters;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What counting one forwarded datagram costs when two event loops count at once (two threads, as
 * on this 2-core machine): the data plane's single-writer per-loop counters (each thread its own
 * {@link LoopCounters}, as each event loop has) against one shared {@link LongAdder} and one shared
 * {@link AtomicLong}, with a plain per-thread field as the floor. Each op counts a datagram and
 * its bytes, as the UDP path does.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
@Threads(2)
public class CounterBenchmark {

    /** One per thread: how an event loop owns its counters. */
    @State(Scope.Thread)
    public static class PerLoop {
        final LoopCounters counters = new LoopCounters();
        long plainDatagrams;
        long plainBytes;
    }

    /** Shared by both threads: the contended alternatives. */
    @State(Scope.Benchmark)
    public static class Shared {
        final LongAdder adderDatagrams = new LongAdder();
        final LongAdder adderBytes = new LongAdder();
        final AtomicLong atomicDatagrams = new AtomicLong();
        final AtomicLong atomicBytes = new AtomicLong();
    }

    @Benchmark
    public long loopCounters(PerLoop s) {
        s.counters.increment(ListenerCounter.DATAGRAMS_RX);
        s.counters.add(ListenerCounter.BYTES_RX, 1200);
        return s.counters.get(ListenerCounter.DATAGRAMS_RX);
    }

    @Benchmark
    public long sharedLongAdder(Shared s) {
        s.adderDatagrams.increment();
        s.adderBytes.add(1200);
        return 0;
    }

    @Benchmark
    public long sharedAtomicLong(Shared s) {
        s.atomicDatagrams.incrementAndGet();
        return s.atomicBytes.addAndGet(1200);
    }

    @Benchmark
    public long plainFieldFloor(PerLoop s) {
        s.plainDatagrams++;
        s.plainBytes += 1200;
        return s.plainDatagrams;
    }
}
