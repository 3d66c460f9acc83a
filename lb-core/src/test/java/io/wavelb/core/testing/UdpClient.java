package io.wavelb.core.testing;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** One UDP flow (one socket, one 4-tuple) talking to an {@link EchoServer} through a balancer. */
public final class UdpClient implements AutoCloseable {

    private final DatagramSocket socket;
    private final InetSocketAddress to;

    public UdpClient(InetSocketAddress to) throws IOException {
        this.socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        this.to = to;
    }

    /** Sends {@code payload}; returns the answering target's name, or null when no reply came in time. */
    public String target(String payload, int timeoutMillis) throws IOException {
        byte[] out = payload.getBytes(StandardCharsets.UTF_8);
        socket.send(new DatagramPacket(out, out.length, to));
        socket.setSoTimeout(timeoutMillis);
        byte[] in = new byte[2048];
        DatagramPacket reply = new DatagramPacket(in, in.length);
        try {
            socket.receive(reply);
        } catch (SocketTimeoutException e) {
            return null;
        }
        String text = new String(in, 0, reply.getLength(), StandardCharsets.UTF_8);
        int bar = text.indexOf('|');
        if (bar < 0 || !text.substring(bar + 1).equals(payload)) {
            throw new IllegalStateException("unexpected reply '" + text + "' to '" + payload + "'");
        }
        return text.substring(0, bar);
    }

    public String target(String payload) throws IOException {
        return target(payload, 2000);
    }

    @Override
    public void close() {
        socket.close();
    }
}
