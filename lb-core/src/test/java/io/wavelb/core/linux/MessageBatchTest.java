package io.wavelb.core.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.Socket;
import io.wavelb.core.session.ClientAddress;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** recvmmsg and sendmmsg through {@link MessageBatch}, against JDK sockets on loopback. */
@Timeout(30)
class MessageBatchTest {

    private static final int SLOT = 65;

    @BeforeAll
    static void nativeCallsAvailable() {
        assumeTrue(LibC.unavailable().isEmpty(), () -> "no native calls here: " + LibC.unavailable().orElse(""));
        assumeTrue(Epoll.isAvailable(), "Netty's native sockets (for the test's descriptors) need epoll");
    }

    /** A socket of one family: Netty's own default is IPv6 (dual-stack) where the host has it. */
    private static final class Dgram extends Socket {
        Dgram(boolean ipv6) {
            super(newSocketDgram0(ipv6));
        }
    }

    @Test
    void receivesABatchWithSendersLengthsAndTheCutOfAnOversizeDatagram() throws Exception {
        try (Arena arena = Arena.ofConfined(); MessageBatch batch = new MessageBatch(4);
             DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0))) {
            Dgram listener = new Dgram(false);
            try {
                listener.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
                MemorySegment area = arena.allocate(4L * SLOT);
                for (int i = 0; i < 4; i++) {
                    batch.buffer(i, area.address() + (long) i * SLOT, SLOT);
                }
                assertThat(batch.receive(listener.intValue())).as("nothing queued").isEqualTo(-LibC.EAGAIN);

                byte[] ten = "0123456789".getBytes();
                InetSocketAddress to = listener.localAddress();
                client.send(new DatagramPacket(new byte[0], 0, to));
                client.send(new DatagramPacket(ten, ten.length, to));
                client.send(new DatagramPacket(new byte[200], 200, to));
                int n = receiveAtLeast(batch, listener.intValue(), 3);

                assertThat(n).isEqualTo(3);
                assertThat(batch.length(0)).isZero();
                assertThat(batch.length(1)).isEqualTo(10);
                byte[] got = new byte[10];
                MemorySegment.copy(area, ValueLayout.JAVA_BYTE, SLOT, got, 0, 10);
                assertThat(got).isEqualTo(ten);
                assertThat(batch.truncated(1)).isFalse();
                assertThat(batch.length(2)).isEqualTo(SLOT);
                assertThat(batch.truncated(2)).as("200 bytes into a 65-byte buffer").isTrue();
                ClientAddress probe = ClientAddress.probe();
                for (int i = 0; i < 3; i++) {
                    assertThat(batch.sender(i, probe)).isTrue();
                    assertThat(probe.toSocketAddress()).isEqualTo(client.getLocalSocketAddress());
                }
            } finally {
                listener.close();
            }
        }
    }

    @Test
    void sendsToIpv4ClientsFromIpv4AndDualStackSocketsAndToIpv6Clients() throws Exception {
        InetAddress v4 = InetAddress.getByName("127.0.0.1");
        // An IPv4 socket, and an IPv6 one bound to 127.0.0.1 (as ::ffff:127.0.0.1, Netty's default kind).
        for (boolean v6Socket : new boolean[] {false, true}) {
            sendAndReceive(new Dgram(v6Socket), v4, v6Socket);
        }
        InetAddress v6 = InetAddress.getByName("::1");
        boolean hasV6;
        try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress(v6, 0))) {
            hasV6 = true;
        } catch (java.net.SocketException e) {
            hasV6 = false;
        }
        if (hasV6) {
            sendAndReceive(new Dgram(true), v6, true);
        }
    }

    private static void sendAndReceive(Dgram sender, InetAddress loopback, boolean v6Socket) throws Exception {
        try (Arena arena = Arena.ofConfined(); MessageBatch batch = new MessageBatch(8);
             DatagramSocket a = new DatagramSocket(new InetSocketAddress(loopback, 0));
             DatagramSocket b = new DatagramSocket(new InetSocketAddress(loopback, 0))) {
            sender.bind(new InetSocketAddress(loopback, 0));
            assertThat(LibC.socketDomain(sender.intValue())).isEqualTo(v6Socket ? LibC.AF_INET6 : LibC.AF_INET);
            MemorySegment data = arena.allocate(3);
            data.copyFrom(MemorySegment.ofArray(new byte[] {7, 8, 9}));
            DatagramSocket[] clients = {a, b, a, b};
            for (int i = 0; i < clients.length; i++) {
                batch.recipient(i, ClientAddress.of((InetSocketAddress) clients[i].getLocalSocketAddress()), v6Socket);
                batch.buffer(i, data.address(), i);   // lengths 0, 1, 2, 3
            }
            assertThat(batch.send(sender.intValue(), 0, 4)).isEqualTo(4);
            // From the second message on, as a resend after a partial send does.
            assertThat(batch.send(sender.intValue(), 3, 1)).isEqualTo(1);
            int[] expectedA = {0, 2};
            int[] expectedB = {1, 3, 3};
            assertThat(lengths(a, 2)).containsExactly(expectedA);
            assertThat(lengths(b, 3)).containsExactly(expectedB);
        } finally {
            sender.close();
        }
    }

    @Test
    void aCopiedDescriptorIsAnotherNumberForTheSameSocket() throws Exception {
        Dgram socket = new Dgram(false);
        try {
            socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            int copy = LibC.dup(socket.intValue());
            try {
                assertThat(copy).isNotEqualTo(socket.intValue());
                assertThat(LibC.socketDomain(copy)).isEqualTo(LibC.AF_INET);
                assertThat(new Socket(copy).localAddress()).isEqualTo(socket.localAddress());
            } finally {
                new Socket(copy).close();
            }
        } finally {
            socket.close();
        }
    }

    private static int[] lengths(DatagramSocket s, int count) throws Exception {
        s.setSoTimeout(5000);
        int[] got = new int[count];
        for (int i = 0; i < count; i++) {
            DatagramPacket p = new DatagramPacket(new byte[16], 16);
            s.receive(p);
            got[i] = p.getLength();
            if (p.getLength() > 0) {
                assertThat(Arrays.copyOf(p.getData(), p.getLength())).isEqualTo(Arrays.copyOf(new byte[] {7, 8, 9}, p.getLength()));
            }
        }
        return got;
    }

    /** Receives until {@code count} datagrams came in one call (loopback delivers at once; retried for a busy host). */
    private static int receiveAtLeast(MessageBatch batch, int fd, int count) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < deadline) {
            int n = batch.receive(fd);
            if (n >= count) {
                return n;
            }
            assertThat(n).as("a partial batch: the test expects all at once").isIn(-LibC.EAGAIN);
            Thread.sleep(10);
        }
        return 0;
    }
}
