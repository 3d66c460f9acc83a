/** QUIC-LB connection IDs and QUIC header reading for {@code affinity: quic}. Pure: no Netty. */
package io.wavelb.core.quic;
