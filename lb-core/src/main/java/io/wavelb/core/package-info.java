/**
 * The running balancer and the process around it. {@link io.wavelb.core.LoadBalancer} is the
 * facade: it starts and stops, runs the control tick and commits reloads, and hands each other
 * job to its own part: {@code SocketBinder} (binding), {@code TargetGroupRegistry} (running and
 * retiring groups), {@code OverloadControl} (the overload step of the tick), {@code AdminActions}
 * (the admin operations). {@link io.wavelb.core.Wavelb} is the whole process: the balancer,
 * metrics, health checks and the admin endpoint.
 */
package io.wavelb.core;
