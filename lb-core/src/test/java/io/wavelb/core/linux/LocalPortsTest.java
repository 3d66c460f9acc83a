package io.wavelb.core.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.SocketException;
import org.junit.jupiter.api.Test;

class LocalPortsTest {

    @Test
    void theRangeIsReadAsProcfsPrintsIt() {
        LocalPorts ports = LocalPorts.parse("32768\t60999\n");
        assertThat(ports).isEqualTo(new LocalPorts(32768, 60999));
        assertThat(ports.count()).isEqualTo(28_232);
        assertThat(ports).hasToString("32768-60999");
        assertThat(LocalPorts.parse("1024 65535").count()).isEqualTo(64_512);
        assertThat(LocalPorts.parse("5000 5000").count()).isEqualTo(1);
    }

    @Test
    void whatIsNotARangeIsRefused() {
        assertThatThrownBy(() -> LocalPorts.parse("32768")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LocalPorts.parse("61000 60000")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LocalPorts.parse("0 70000")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LocalPorts.parse("a b")).isInstanceOf(NumberFormatException.class);
    }

    @Test
    void thisHostsRangeIsReadable() {
        // Linux, as CI is: the file exists in every network namespace.
        assertThat(LocalPorts.current()).isPresent();
        assertThat(LocalPorts.DESCRIBED.toString()).matches("\\d+-\\d+");
    }

    @Test
    void noFreePortIsToldFromOtherSocketFailures() {
        // As Netty's epoll transport and the JDK's NIO say it (seen in LocalPortExhaustionSystemTest).
        assertThat(LocalPorts.exhausted(new ConnectException("connect(..) failed with error(-11): Resource temporarily unavailable")))
                .isTrue();
        assertThat(LocalPorts.exhausted(new IOException(new BindException("Address already in use")))).isTrue();
        assertThat(LocalPorts.exhausted(new SocketException("Address already in use: /127.0.0.1:46093"))).isTrue();
        // TCP: connect's EADDRNOTAVAIL, epoll and NIO.
        assertThat(LocalPorts.exhausted(new ConnectException(
                "connect(..) failed with error(-99): Cannot assign requested address: /127.0.0.1:42707"))).isTrue();
        assertThat(LocalPorts.exhausted(new SocketException("Cannot assign requested address: /127.0.0.1:42707"))).isTrue();

        assertThat(LocalPorts.exhausted(new ConnectException("connect(..) failed with error(-111): Connection refused"))).isFalse();
        assertThat(LocalPorts.exhausted(new IOException("newSocketDgram(..) failed: Too many open files"))).isFalse();
        assertThat(LocalPorts.exhausted(new IOException("Cannot assign requested address"))).as("not a socket's").isFalse();
        assertThat(LocalPorts.exhausted(new SocketException("Network is unreachable"))).isFalse();
        assertThat(LocalPorts.exhausted(new RuntimeException((String) null))).isFalse();
    }
}
