/**
 * What UDP and TCP listeners have in common: the listener contract, bind errors, rate-limited
 * warnings, and listening sockets this process did not bind — which listener takes which
 * ({@link io.wavelb.core.listener.InheritedSockets}), what a descriptor is ({@link
 * io.wavelb.core.listener.Descriptors}), and whether a listener binds or uses them ({@link
 * io.wavelb.core.listener.SocketSource}).
 */
package io.wavelb.core.listener;
