package io.wavelb.core.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelException;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.unix.Errors;
import io.wavelb.core.health.state.ProbeResult;
import io.wavelb.core.health.state.ProbeResult.Kind;
import java.net.ConnectException;
import java.net.SocketException;
import org.junit.jupiter.api.Test;

/** Which probe failures are the target's, and which are this host's (they move no health state). */
class ProberClassifyTest {

    private static Kind kind(Throwable cause) {
        return ((ProbeResult.Failure) Prober.classify(cause)).kind();
    }

    @Test
    void noDescriptorForTheProbesSocketIsThisHostsShortage() {
        // As Netty's epoll channel constructor wraps it, and as the bootstrap wraps that again.
        Throwable emfile = new ChannelException("Unable to create Channel from class EpollSocketChannel",
                new ChannelException(Errors.newIOException("newSocketStream", -24)));
        assertThat(kind(emfile)).isEqualTo(Kind.NO_SOCKET);
        assertThat(kind(new SocketException("Too many open files"))).isEqualTo(Kind.NO_SOCKET);
        assertThat(kind(new ChannelException(Errors.newIOException("newSocketDgram", -23)))).isEqualTo(Kind.NO_SOCKET);
    }

    @Test
    void noLocalPortTowardsTheTargetIsThisHostsShortageNotARefusal() {
        assertThat(kind(new ConnectException("connect(..) failed with error(-99): Cannot assign requested address")))
                .isEqualTo(Kind.NO_SOCKET);
    }

    @Test
    void theTargetsOwnFailuresStayTheTargets() {
        assertThat(kind(new ConnectException("connect(..) failed with error(-111): Connection refused"))).isEqualTo(Kind.REFUSED);
        assertThat(kind(new ConnectTimeoutException("connection timed out"))).isEqualTo(Kind.TIMEOUT);
        assertThat(kind(new IllegalStateException("something else"))).isEqualTo(Kind.ERROR);
    }
}
