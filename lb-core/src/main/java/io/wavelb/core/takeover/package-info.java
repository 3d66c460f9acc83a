/**
 * Takeover: a new wavelb process receives the running one's listener sockets and live UDP sessions
 * (their upstream sockets, with SCM_RIGHTS) over a control Unix socket, so a restart or upgrade
 * unbinds no port and moves no flow to a new source port. {@link io.wavelb.core.takeover.TakeoverProtocol}
 * (pure) is the wire format; the control channel, the server in the running process and the client
 * in the new one are the I/O around it.
 */
package io.wavelb.core.takeover;
