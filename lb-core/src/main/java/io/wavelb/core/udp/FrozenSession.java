package io.wavelb.core.udp;

import io.wavelb.core.takeover.TakeoverProtocol;

/** A UDP session a takeover is handing over: what the new process needs, and the upstream socket to send. */
public record FrozenSession(TakeoverProtocol.SessionState state, int fd) {
}
