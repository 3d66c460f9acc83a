package io.wavelb.core.systemd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The environment of sd_listen_fds(3) / sd_listen_fds_with_names(3), read as libsystemd reads it. */
class ListenFdsTest {

    private static final long PID = 4242;

    @Test
    void descriptorsStartAtThreeInOrderWithTheirNames() {
        ListenFds fds = ListenFds.parse(Map.of("LISTEN_PID", "4242", "LISTEN_FDS", "3",
                "LISTEN_FDNAMES", "dns:web:dns"), PID);
        assertThat(fds.sockets()).containsExactly(new ListenFds.Passed(3, "dns"), new ListenFds.Passed(4, "web"),
                new ListenFds.Passed(5, "dns"));
    }

    @Test
    void withoutNamesEveryDescriptorIsUnknown() {
        assertThat(ListenFds.parse(Map.of("LISTEN_PID", "4242", "LISTEN_FDS", "2"), PID).sockets())
                .containsExactly(new ListenFds.Passed(3, "unknown"), new ListenFds.Passed(4, "unknown"));
    }

    @Test
    void anotherProcessesPidMeansTheDescriptorsAreNotOurs() {
        // A parent that was activated left the variables in the environment it passed on.
        assertThat(ListenFds.parse(Map.of("LISTEN_PID", "1", "LISTEN_FDS", "2", "LISTEN_FDNAMES", "a:b"), PID)
                .sockets()).isEmpty();
    }

    @Test
    void nothingPassedWithoutPidOrCount() {
        assertThat(ListenFds.parse(Map.of(), PID).sockets()).isEmpty();
        assertThat(ListenFds.parse(Map.of("LISTEN_FDS", "2"), PID).sockets()).isEmpty();
        assertThat(ListenFds.parse(Map.of("LISTEN_PID", "4242"), PID).sockets()).isEmpty();
        assertThat(ListenFds.parse(Map.of("LISTEN_PID", "4242", "LISTEN_FDS", "0"), PID).sockets()).isEmpty();
    }

    @Test
    void aNameCountThatDiffersFromTheDescriptorCountIsAnError() {
        assertThatThrownBy(() -> ListenFds.parse(Map.of("LISTEN_PID", "4242", "LISTEN_FDS", "2",
                "LISTEN_FDNAMES", "dns"), PID))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("LISTEN_FDNAMES=dns names 1 descriptor(s) but LISTEN_FDS=2 passes 2");
    }

    @Test
    void malformedNumbersAreErrors() {
        assertThatThrownBy(() -> ListenFds.parse(Map.of("LISTEN_PID", "x", "LISTEN_FDS", "1"), PID))
                .hasMessage("LISTEN_PID=x is not a non-negative number");
        assertThatThrownBy(() -> ListenFds.parse(Map.of("LISTEN_PID", "4242", "LISTEN_FDS", "-1"), PID))
                .hasMessage("LISTEN_FDS=-1 is not a non-negative number");
    }
}
