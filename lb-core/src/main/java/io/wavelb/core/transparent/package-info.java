/**
 * Transparent mode ({@code listeners[].transparent}), the parts without I/O: which address an
 * upstream socket binds for a client ({@link io.wavelb.core.transparent.TransparentSource}), which
 * listeners need what ({@link io.wavelb.core.transparent.TransparentNeeds}), and whether this host
 * can serve them ({@link io.wavelb.core.transparent.HostCheck}: capabilities, transport and reply
 * routing in as {@link io.wavelb.core.transparent.HostFacts}, findings with the exact commands to run
 * out). Gathering the facts (reading {@code /proc}, running {@code ip}) is
 * {@code io.wavelb.core.HostProbe}'s job. Pure: no Netty.
 */
package io.wavelb.core.transparent;
