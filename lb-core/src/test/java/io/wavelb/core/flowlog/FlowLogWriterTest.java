package io.wavelb.core.flowlog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wavelb.config.FlowLogConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The writer: a full queue drops and counts without blocking; files are appended, reopened, refused clearly. */
class FlowLogWriterTest {

    @TempDir
    Path dir;

    private static FlowRecord record(int i) {
        return new FlowRecord(FlowRecord.Event.END, "l" + i, "udp", new InetSocketAddress("127.0.0.1", 1000 + i),
                null, null, 0, 0, i, 0, 1, 0, EndReason.IDLE, null);
    }

    private static FlowLogConfig file(Path p, int queue) {
        return new FlowLogConfig(Optional.of(p), false, FlowLogConfig.Format.JSON, 1, false, queue);
    }

    /** A destination whose first write waits until released: the writer thread is stuck on a slow disk. */
    private static final class StuckStream extends OutputStream {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final StringBuilder written = new StringBuilder();

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            written.append(new String(b, off, len, java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    @Test
    void aFullQueueDropsAndCountsWithoutBlocking() throws Exception {
        FlowLogCounters counters = new FlowLogCounters();
        StuckStream out = new StuckStream();
        FlowLogConfig stdout = new FlowLogConfig(Optional.empty(), true, FlowLogConfig.Format.JSON, 1, false, 8);
        FlowLogWriter w = new FlowLogWriter(stdout, counters, out);
        assertThat(w.offer(record(0))).isTrue();
        assertThat(out.entered.await(10, TimeUnit.SECONDS)).isTrue();
        // The writer holds record 0 in a write that does not return: 8 more fit, the rest are dropped.
        int accepted = 0;
        for (int i = 1; i <= 100; i++) {
            if (w.offer(record(i))) {
                accepted++;
            }
        }
        assertThat(accepted).isEqualTo(8);
        assertThat(counters.droppedQueueFull()).isEqualTo(92);
        assertThat(w.queued()).isEqualTo(8);
        out.release.countDown();
        w.close(10, TimeUnit.SECONDS);
        assertThat(counters.written()).isEqualTo(9);
        assertThat(out.written.toString().lines()).hasSize(9);
    }

    @Test
    void recordsAreAppendedToTheFileOneLineEachAndTheFileIsOwnerAndGroupReadable() throws Exception {
        Path f = dir.resolve("flows.log");
        Files.writeString(f, "before\n");
        Files.delete(f);
        FlowLogCounters counters = new FlowLogCounters();
        FlowLogWriter w = new FlowLogWriter(file(f, 1024), counters);
        for (int i = 0; i < 100; i++) {
            assertThat(w.offer(record(i))).isTrue();
        }
        w.close();
        List<String> lines = Files.readAllLines(f);
        assertThat(lines).hasSize(100);
        assertThat(lines.get(42)).contains("\"listener\":\"l42\"");
        assertThat(counters.written()).isEqualTo(100);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-r-----");
    }

    @Test
    void reopenWritesToANewFileAfterTheOldOneWasRenamed() throws Exception {
        Path f = dir.resolve("flows.log");
        Path rotated = dir.resolve("flows.log.1");
        FlowLogCounters counters = new FlowLogCounters();
        FlowLogWriter w = new FlowLogWriter(file(f, 1024), counters);
        w.offer(record(1));
        awaitLines(f, 1);
        Files.move(f, rotated);
        w.reopen();
        for (int i = 0; i < 200 && !Files.exists(f); i++) {
            Thread.sleep(25);
        }
        w.offer(record(2));
        awaitLines(f, 1);
        w.close();
        assertThat(Files.readAllLines(rotated)).singleElement().asString().contains("\"listener\":\"l1\"");
        assertThat(Files.readAllLines(f)).singleElement().asString().contains("\"listener\":\"l2\"");
    }

    @Test
    void aFileInAMissingDirectoryIsRefusedNamingIt() {
        Path f = dir.resolve("missing/flows.log");
        assertThatThrownBy(() -> new FlowLogWriter(file(f, 16), new FlowLogCounters()))
                .isInstanceOf(IOException.class)
                .hasMessage("flow_log.path: cannot open " + f + ": no such directory " + f.getParent());
    }

    @Test
    void aReloadToABadPathIsRefusedAndTheRunningLogStays() throws Exception {
        Path good = dir.resolve("a.log");
        FlowLog log = FlowLog.start(file(good, 16));
        assertThatThrownBy(() -> log.prepare(file(dir.resolve("nope/b.log"), 16)))
                .isInstanceOf(IOException.class).hasMessageContaining("no such directory");
        log.record(record(7));
        awaitLines(good, 1);
        // A good one swaps the writer: what comes next goes to the new file.
        Path other = dir.resolve("b.log");
        log.prepare(file(other, 16)).run();
        log.record(record(8));
        awaitLines(other, 1);
        log.close();
        assertThat(Files.readAllLines(good)).singleElement().asString().contains("\"listener\":\"l7\"");
        assertThat(log.counters().written()).isEqualTo(2);
    }

    @Test
    void offWritesNothingAndSamplesNothing() throws Exception {
        FlowLog log = FlowLog.start(FlowLogConfig.OFF);
        assertThat(log.sampled(1)).isFalse();
        assertThat(log.onStart()).isFalse();
        log.record(record(1));
        log.close();
        assertThat(log.counters().written()).isZero();
    }

    private static void awaitLines(Path f, int n) throws Exception {
        for (int i = 0; i < 400; i++) {
            if (Files.exists(f) && Files.readAllLines(f).size() >= n) {
                return;
            }
            Thread.sleep(25);
        }
        throw new AssertionError(f + " never had " + n + " line(s)");
    }
}
