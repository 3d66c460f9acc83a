/**
 * TCP proxying: SO_REUSEPORT accept sockets per event loop, target connections on the accepting
 * loop, connect retries over the balancer's preference order, read-controlled backpressure,
 * half-close and idle timeout.
 */
package io.wavelb.core.tcp;
