package io.wavelb.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The allocator settings given to Netty before it loads (here only as properties: Netty read its own long ago). */
class DirectMemoryLimitTest {

    private String savedLimit;
    private String savedLowMemory;

    @BeforeEach
    void save() {
        savedLimit = System.getProperty(DirectMemoryLimit.PROPERTY);
        savedLowMemory = System.getProperty(DirectMemoryLimit.LOW_MEMORY_PROPERTY);
        System.clearProperty(DirectMemoryLimit.PROPERTY);
        System.clearProperty(DirectMemoryLimit.LOW_MEMORY_PROPERTY);
    }

    @AfterEach
    void restore() {
        set(DirectMemoryLimit.PROPERTY, savedLimit);
        set(DirectMemoryLimit.LOW_MEMORY_PROPERTY, savedLowMemory);
    }

    private static void set(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }

    @Test
    void setsTheBudgetAndKeepsTheAdaptiveAllocatorPoolingForALargeOne() {
        DirectMemoryLimit.apply(DirectMemoryLimit.POOLED_LARGE_BUFFERS_FROM);
        assertThat(System.getProperty(DirectMemoryLimit.PROPERTY)).isEqualTo(Long.toString(DirectMemoryLimit.POOLED_LARGE_BUFFERS_FROM));
        assertThat(System.getProperty(DirectMemoryLimit.LOW_MEMORY_PROPERTY)).isEqualTo("false");
    }

    @Test
    void aSmallBudgetKeepsNettysLowMemoryMode() {
        DirectMemoryLimit.apply(64L << 20);
        assertThat(System.getProperty(DirectMemoryLimit.PROPERTY)).isEqualTo(Long.toString(64L << 20));
        assertThat(System.getProperty(DirectMemoryLimit.LOW_MEMORY_PROPERTY)).isEqualTo("true");
    }

    @Test
    void keepsWhatTheOperatorSet() {
        System.setProperty(DirectMemoryLimit.PROPERTY, "12345678");
        System.setProperty(DirectMemoryLimit.LOW_MEMORY_PROPERTY, "true");
        DirectMemoryLimit.apply(64L << 20);
        assertThat(System.getProperty(DirectMemoryLimit.PROPERTY)).isEqualTo("12345678");
        assertThat(System.getProperty(DirectMemoryLimit.LOW_MEMORY_PROPERTY)).isEqualTo("true");
    }
}
