/**
 * UDP proxying: one SO_REUSEPORT socket per event loop, a session per client address with a
 * connected upstream socket on the same loop, idle expiry by sweep, and a listener-wide cap.
 */
package io.wavelb.core.udp;
