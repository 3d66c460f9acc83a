package io.wavelb.bench;

import io.wavelb.core.balance.Backend;
import io.wavelb.core.balance.MaglevTable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Building the table when the target set changes (off the packet path, but it bounds how fast a
 * reload or a health flap is applied). Table size as the config layer requires: prime and more than
 * 100 x backends, so 65537 up to 655 backends and 100003 for 1000.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class MaglevBuildBenchmark {

    @Param({"10", "100", "1000"})
    int backends;

    int tableSize;
    List<Backend> list;

    @Setup
    public void setUp() {
        tableSize = backends * 100 < 65537 ? 65537 : 100003;
        list = new ArrayList<>();
        Random random = new Random(1);
        for (int i = 0; i < backends; i++) {
            list.add(new Backend("10." + (i >> 16) + "." + ((i >> 8) & 0xff) + "." + (i & 0xff) + ":7000",
                    1 + random.nextInt(3)));
        }
        Collections.shuffle(list, random);
    }

    @Benchmark
    public MaglevTable build() {
        return MaglevTable.build(list, tableSize);
    }
}
