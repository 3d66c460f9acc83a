package io.wavelb.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;
import org.junit.platform.engine.discovery.DiscoverySelectors;

/**
 * A leaked ByteBuf fails the class that leaked it under plain {@code mvn verify}: each fixture class
 * below runs in a JUnit launcher of its own, with the extensions auto-detected as in the build, and
 * the outcome is read from the launcher's summary.
 */
class LeakCheckExtensionTest {

    /** Set only on the nested launcher, so the fixtures never run as tests of their own. */
    private static final String FIXTURE = "wavelb.leak-check.fixture";

    @Test
    void aClassThatLeaksABufferFailsWithTheLeakRecords() {
        assertThat(ResourceLeakDetector.getLevel()).as("tests run with paranoid leak detection (pom test.jvm.args)")
                .isEqualTo(ResourceLeakDetector.Level.PARANOID);
        TestExecutionSummary summary = run(Leaks.class);
        assertThat(summary.getTestsSucceededCount()).as("the test method itself passes").isEqualTo(1);
        assertThat(summary.getContainersFailedCount()).as("its class fails").isEqualTo(1);
        List<String> messages = summary.getFailures().stream().map(f -> String.valueOf(f.getException().getMessage()))
                .toList();
        assertThat(messages).singleElement().asString()
                .startsWith("LEAK: 1 leaked buffer(s) reported by Netty during LeakCheckExtensionTest$Leaks")
                .contains(LeakCheckExtension.DELIBERATE);
    }

    @Test
    void aClassThatReleasesEveryBufferPasses() {
        TestExecutionSummary summary = run(Releases.class);
        assertThat(summary.getTestsSucceededCount()).isEqualTo(1);
        assertThat(summary.getTotalFailureCount()).isZero();
    }

    private static TestExecutionSummary run(Class<?> fixture) {
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(DiscoverySelectors.selectClass(fixture))
                .configurationParameter(FIXTURE, "true")
                .configurationParameter("junit.jupiter.extensions.autodetection.enabled", "true")
                .build();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        LauncherFactory.create().execute(request, listener);
        return listener.getSummary();
    }

    /** Surefire does not select nested classes; this keeps an IDE's "run all" from running them too. */
    static final class OnlyInTheNestedLauncher implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            return context.getConfigurationParameter(FIXTURE).isPresent()
                    ? ConditionEvaluationResult.enabled("run by LeakCheckExtensionTest")
                    : ConditionEvaluationResult.disabled("a fixture of LeakCheckExtensionTest");
        }
    }

    @ExtendWith(OnlyInTheNestedLauncher.class)
    static final class Leaks {
        @Test
        void dropsABufferWithoutReleasingIt() {
            allocateAndDrop();
        }

        /** In a method of its own, so no local of the test keeps the buffer reachable. */
        private static void allocateAndDrop() {
            ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(16);
            buf.writeInt(1);
            // Unique, so Netty's report-each-trace-once does not hide a second run in one JVM.
            buf.touch(LeakCheckExtension.DELIBERATE + " " + System.nanoTime());
        }
    }

    @ExtendWith(OnlyInTheNestedLauncher.class)
    static final class Releases {
        @Test
        void releasesWhatItAllocates() {
            ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(16);
            buf.writeInt(1);
            buf.release();
        }
    }
}
