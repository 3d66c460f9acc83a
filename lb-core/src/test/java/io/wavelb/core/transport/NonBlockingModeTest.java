package io.wavelb.core.transport;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** O_NONBLOCK read from /proc/PID/fdinfo (proc(5): flags in octal). */
class NonBlockingModeTest {

    @Test
    void readsTheFlagFromOctalFlags() {
        // What systemd-socket-activate passes: O_RDWR only.
        assertThat(NonBlockingMode.isSet("pos:\t0\nflags:\t02\nmnt_id:\t10\nino:\t7389524\n")).isFalse();
        // A socket Netty made: O_RDWR | O_NONBLOCK | O_CLOEXEC.
        assertThat(NonBlockingMode.isSet("pos:\t0\nflags:\t02004002\nmnt_id:\t10\n")).isTrue();
    }
}
