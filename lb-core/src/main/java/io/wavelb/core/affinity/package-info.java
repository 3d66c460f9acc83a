/**
 * What {@code udp.affinity} decides from a datagram's bytes: the target a QUIC connection ID or a
 * STUN ufrag names, or none (the 5-tuple / source address decides). Plain Java, tested without
 * sockets; the data plane copies the datagram's first bytes into the router's scratch array.
 */
package io.wavelb.core.affinity;
