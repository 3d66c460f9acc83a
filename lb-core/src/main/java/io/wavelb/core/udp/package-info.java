/**
 * UDP proxying: one SO_REUSEPORT socket per event loop ({@code UdpListener}); per loop, the intake
 * ({@code UdpLoopHandler}), the one owner of that loop's sessions ({@code UdpSessions}: table,
 * unbound sessions, idle sweep, purge, passive health, sends and flushes to the upstream sockets)
 * and the replies to clients ({@code ClientReplies}); each session's upstream socket
 * ({@code Upstream}) reports to its owner through {@code UpstreamEvents} and never holds the handler.
 */
package io.wavelb.core.udp;
