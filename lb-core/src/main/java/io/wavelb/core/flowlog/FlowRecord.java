package io.wavelb.core.flowlog;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * One flow log record: made on the event loop when a flow ends (or starts), formatted and written
 * by the writer thread. Small and immutable; the addresses are the flow's own objects, not copies.
 *
 * @param event            start or end
 * @param listener         the listener's name
 * @param protocol         {@code udp} or {@code tcp}
 * @param client           the client's address
 * @param local            the balancer's own address towards the target (the source the target sees:
 *                         the UDP session's socket, the TCP target connection); null when none was made
 * @param target           the target's address; null when no target was reached (TCP {@code no_target})
 * @param startMillis      when the flow started, wall clock (milliseconds since the epoch)
 * @param durationNanos    how long it ran ({@code 0} in a start record)
 * @param bytesFromClient  payload bytes from the client to the target
 * @param bytesToClient    payload bytes from the target to the client
 * @param datagramsFromClient UDP datagrams from the client; {@code -1} for TCP
 * @param datagramsToClient   UDP datagrams to the client; {@code -1} for TCP
 * @param reason           why it ended; null in a start record
 * @param route            how a content-aware UDP listener routed the flow's first datagram
 *                         ({@code quic_cid}, {@code stun_server_id}, ...); null when it does not read content
 */
public record FlowRecord(Event event, String listener, String protocol, InetSocketAddress client,
                         InetSocketAddress local, InetSocketAddress target, long startMillis, long durationNanos,
                         long bytesFromClient, long bytesToClient, long datagramsFromClient, long datagramsToClient,
                         EndReason reason, String route) {

    public enum Event {
        START, END;

        String label() {
            return this == START ? "start" : "end";
        }
    }

    public FlowRecord {
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(listener, "listener");
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(client, "client");
        if ((event == Event.END) != (reason != null)) {
            throw new IllegalArgumentException("an end record has a reason, a start record none (" + event + ", " + reason + ")");
        }
    }
}
