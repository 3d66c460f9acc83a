package io.wavelb.core.transport;

/**
 * The UDP data path's transport knobs, read once from system properties when the transport is
 * selected at start (they are for comparing variants side by side, documented in
 * benchmarks/README.md), never per datagram:
 * <ul>
 * <li>{@code wavelb.udp.receiveBatch} (default 16, 1..64): datagrams per {@code recvmmsg} on a
 *     listener socket on epoll; 1 reads one datagram per call;</li>
 * <li>{@code wavelb.udp.gso} (default true): UDP GSO bursts on native upstream sockets;</li>
 * <li>{@code wavelb.udp.nativeUpstream} (default true): bare epoll-registered upstream sockets
 *     rather than Netty datagram channels;</li>
 * <li>{@code wavelb.udp.nativeListener} (default true): the listener sockets read and written
 *     with wavelb's own {@code recvmmsg}/{@code sendmmsg} (no object per datagram) rather than
 *     through Netty's datagram channel.</li>
 * </ul>
 */
public record UdpTuning(int receiveBatch, boolean gso, boolean nativeUpstream, boolean nativeListener) {

    public static final int MAX_RECEIVE_BATCH = 64;
    public static final UdpTuning DEFAULTS = new UdpTuning(16, true, true, true);

    public UdpTuning {
        if (receiveBatch < 1 || receiveBatch > MAX_RECEIVE_BATCH) {
            throw new IllegalArgumentException("receiveBatch " + receiveBatch + " (expected 1.." + MAX_RECEIVE_BATCH + ")");
        }
    }

    /** The knobs as the system properties set them; an out-of-range batch is clamped, as it always was. */
    public static UdpTuning fromSystemProperties() {
        int batch = Math.max(1, Math.min(MAX_RECEIVE_BATCH, Integer.getInteger("wavelb.udp.receiveBatch", DEFAULTS.receiveBatch())));
        return new UdpTuning(batch,
                Boolean.parseBoolean(System.getProperty("wavelb.udp.gso", "true")),
                Boolean.parseBoolean(System.getProperty("wavelb.udp.nativeUpstream", "true")),
                Boolean.parseBoolean(System.getProperty("wavelb.udp.nativeListener", "true")));
    }
}
