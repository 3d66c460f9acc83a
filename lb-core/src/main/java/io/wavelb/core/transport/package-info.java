/** The single place that knows which Netty transport (epoll, io_uring, NIO) is in use. */
package io.wavelb.core.transport;
