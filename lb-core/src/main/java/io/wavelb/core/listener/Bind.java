package io.wavelb.core.listener;

import java.net.BindException;
import java.net.InetSocketAddress;

/** Turns a failed bind into the one-line error an operator reads. */
public final class Bind {

    private Bind() {
    }

    public static BindException failure(String protocol, String listener, InetSocketAddress address, Throwable cause) {
        String reason = cause == null ? "unknown error" : cause.getMessage();
        if (reason != null && reason.toLowerCase(java.util.Locale.ROOT).contains("address already in use")) {
            reason = "address already in use";
        }
        BindException e = new BindException("listener '" + listener + "': cannot listen on " + protocol + " "
                + format(address) + ": " + reason);
        if (cause != null) {
            e.initCause(cause);
        }
        return e;
    }

    /**
     * Fails when another socket already holds the address. SO_REUSEPORT would otherwise let a
     * second wavelb (same user) bind beside the first and silently take half of its traffic, so
     * before binding with it we check with a plain socket, which the kernel refuses in that case.
     */
    public static void probeFree(String protocol, String listener, InetSocketAddress address) throws BindException {
        if (address.getPort() == 0) {
            return;
        }
        try {
            if (protocol.equals("udp")) {
                try (java.net.DatagramSocket s = new java.net.DatagramSocket(null)) {
                    s.bind(address);
                }
            } else {
                try (java.net.ServerSocket s = new java.net.ServerSocket()) {
                    s.setReuseAddress(true);
                    s.bind(address);
                }
            }
        } catch (java.io.IOException e) {
            throw failure(protocol, listener, address, e);
        }
    }

    public static String format(InetSocketAddress a) {
        String host = a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + a.getPort() : host + ":" + a.getPort();
    }
}
