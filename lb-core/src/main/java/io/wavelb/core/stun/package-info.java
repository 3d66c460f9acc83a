/** STUN message reading for {@code affinity: stun}. Pure: no Netty. */
package io.wavelb.core.stun;
