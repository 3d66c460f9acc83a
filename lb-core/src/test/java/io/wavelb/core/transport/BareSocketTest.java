package io.wavelb.core.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.Errors;
import io.wavelb.core.linux.LibC;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The sockets wavelb makes through its own calls: the family follows the target, the local
 * address is the one peers see, and failures are the Netty exceptions (with the errno) that the
 * callers classify.
 */
@Timeout(30)
class BareSocketTest {

    private static final int EADDRINUSE = 98;

    /** Netty's reads, writes and close are its epoll library's: loaded with the transport, as the balancer does. */
    @BeforeAll
    static void nettysNativeLibrary() {
        Epoll.ensureAvailability();
    }

    @Test
    void aUdpSocketHasTheTargetsFamilyAndSaysTheAddressItsTargetSees() throws Exception {
        for (InetAddress loopback : new InetAddress[] {InetAddress.getByName("127.0.0.1"), InetAddress.getByName("::1")}) {
            try (DatagramSocket target = new DatagramSocket(new InetSocketAddress(loopback, 0))) {
                target.setSoTimeout(5000);
                InetSocketAddress to = (InetSocketAddress) target.getLocalSocketAddress();
                BareSocket s = BareSocket.datagramFor(to);
                try {
                    assertThat(LibC.socketDomain(s.intValue())).isEqualTo(loopback.getAddress().length == 4 ? LibC.AF_INET : LibC.AF_INET6);
                    assertThat(s.connect(to)).isTrue();
                    ByteBuffer out = ByteBuffer.allocateDirect(16).put("ping".getBytes(StandardCharsets.US_ASCII)).flip();
                    assertThat(s.send(out, 0, 4)).isEqualTo(4);
                    DatagramPacket p = new DatagramPacket(new byte[16], 16);
                    target.receive(p);
                    assertThat(s.localAddress()).isEqualTo(p.getSocketAddress());

                    target.send(new DatagramPacket("pong!".getBytes(StandardCharsets.US_ASCII), 5, p.getSocketAddress()));
                    ByteBuffer in = ByteBuffer.allocateDirect(16);
                    int n = 0;
                    for (int i = 0; i < 500 && n == 0; i++) {
                        n = s.recv(in, 0, 16);
                        if (n == 0) {
                            Thread.sleep(10);
                        }
                    }
                    assertThat(n).as("non-blocking: 0 until the reply is there, then its length").isEqualTo(5);
                } finally {
                    s.close();
                }
                assertThat(s.isOpen()).isFalse();
            }
        }
    }

    @Test
    void aTcpSocketConnectsWithItsOptionsAndSaysItsLocalAddress() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 4, InetAddress.getByName("127.0.0.1"))) {
            server.setSoTimeout(5000);
            InetSocketAddress to = (InetSocketAddress) server.getLocalSocketAddress();
            BareSocket s = BareSocket.streamFor(to);
            try {
                s.setTcpNoDelay(true);
                s.setReceiveBufferSize(65536);
                boolean connected = s.connect(to);
                try (Socket accepted = server.accept()) {
                    if (!connected) {
                        // On its way: the accept above means the handshake is done, and nothing went wrong.
                        assertThat(s.getSoError()).isZero();
                    }
                    assertThat(s.localAddress()).isEqualTo(accepted.getRemoteSocketAddress());
                }
            } finally {
                s.close();
            }
        }
    }

    @Test
    void aBindToAnAddressInUseIsNettysBindErrorWithItsErrno() throws Exception {
        try (DatagramSocket holder = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0))) {
            InetSocketAddress taken = (InetSocketAddress) holder.getLocalSocketAddress();
            BareSocket s = BareSocket.datagramFor(taken);
            try {
                assertThatThrownBy(() -> s.bind(taken))
                        .isInstanceOfSatisfying(Errors.NativeIoException.class, e -> {
                            assertThat(e.getMessage()).startsWith("bind(");
                            assertThat(-e.expectedErr()).isEqualTo(EADDRINUSE);
                        });
            } finally {
                s.close();
            }
        }
    }

    @Test
    void aConnectRefusedAtOnceOrLaterIsSaid() throws Exception {
        int closed;
        try (ServerSocket gone = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            closed = gone.getLocalPort();
        }
        InetSocketAddress to = new InetSocketAddress("127.0.0.1", closed);
        BareSocket s = BareSocket.streamFor(to);
        try {
            boolean connected;
            try {
                connected = s.connect(to);
            } catch (java.net.ConnectException e) {
                assertThat(e.getMessage()).contains("Connection refused");
                return;
            }
            assertThat(connected).isFalse();
            int error = 0;
            for (int i = 0; i < 500 && error == 0; i++) {
                error = s.getSoError();
                if (error == 0) {
                    Thread.sleep(10);
                }
            }
            assertThat(error).as("ECONNREFUSED").isEqualTo(111);
        } finally {
            s.close();
        }
    }
}
