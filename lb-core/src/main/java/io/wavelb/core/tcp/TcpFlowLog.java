package io.wavelb.core.tcp;

import io.wavelb.core.flowlog.EndReason;
import io.wavelb.core.flowlog.FlowRecord;
import io.wavelb.core.target.Target;
import java.net.InetSocketAddress;

/**
 * One TCP connection's flow log bookkeeping, the same on both relays: whether it is logged
 * (sampled once, at accept), when it started, the bytes each way (counted by the relay as it
 * reads), and why it ended: the first reason given wins, the later ones are consequences of it.
 * On the connection's loop only.
 */
final class TcpFlowLog {

    private final TcpListener listener;
    private final boolean logged;
    private final long startNanos = System.nanoTime();
    private long startMillis;
    private long bytesFromClient;
    private long bytesToClient;
    private EndReason endReason;

    TcpFlowLog(TcpListener listener, long flowHash) {
        this.listener = listener;
        this.logged = listener.flowLog().sampled(flowHash ^ startNanos);
        if (logged) {
            startMillis = System.currentTimeMillis();
        }
    }

    boolean logged() {
        return logged;
    }

    /** Bytes a relay read: from the client ({@code fromClient}) or from the target. */
    void read(boolean fromClient, int bytes) {
        if (fromClient) {
            bytesFromClient += bytes;
        } else {
            bytesToClient += bytes;
        }
    }

    /** Why the connection ends, unless a reason was given already; null gives none. */
    void reason(EndReason reason) {
        if (endReason == null) {
            endReason = reason;
        }
    }

    /** The start record, when the flow is logged and the log wants start records. */
    void started(InetSocketAddress client, InetSocketAddress local, Target target) {
        if (logged && listener.flowLog().onStart()) {
            listener.flowLog().record(record(FlowRecord.Event.START, client, local, target));
        }
    }

    /**
     * The client's socket closed: the end record, once, when the flow is logged; without a reason
     * given, the client closed it (or the balancer's shutdown did).
     */
    void ended(InetSocketAddress client, InetSocketAddress local, Target target) {
        if (!logged) {
            return;
        }
        reason(listener.closingFlows() ? EndReason.SHUTDOWN : EndReason.CLIENT_CLOSED);
        listener.flowLog().record(record(FlowRecord.Event.END, client, local, target));
    }

    private FlowRecord record(FlowRecord.Event event, InetSocketAddress client, InetSocketAddress local, Target target) {
        boolean start = event == FlowRecord.Event.START;
        return new FlowRecord(event, listener.config().name(), "tcp", client, local,
                target == null ? null : target.socketAddress(), startMillis, start ? 0 : System.nanoTime() - startNanos,
                bytesFromClient, bytesToClient, -1, -1, start ? null : endReason, null);
    }
}
