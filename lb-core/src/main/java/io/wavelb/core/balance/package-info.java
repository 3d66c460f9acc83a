/**
 * Picking a backend for a new flow: the weighted Maglev table (NSDI'16 §3.4), round robin and least
 * connections over it, and the deterministic flow hashes that feed them.
 *
 * <p>Everything here is plain Java with no Netty or AWS types (a test enforces it), so it is tested
 * without sockets. Tables are immutable snapshots built off the packet path and swapped whole by the
 * caller; the only mutable state is the round-robin cursor, an atomic, so
 * {@link io.wavelb.core.balance.Picker#pick(long)} never locks. Least connections reads the open
 * connection counts from their owner (the target) and keeps none of its own.
 *
 * <p>Every wavelb instance given the same backends builds the same table: backends are sorted by
 * {@link io.wavelb.core.balance.Backend#id()} and permutations are derived from the id alone, so two
 * instances behind one ECMP route send a given flow to the same backend (Maglev paper §3.3-3.4: a router's ECMP may send one flow's
 * packets to different balancers, and consistent hashing keeps them on one backend).
 */
package io.wavelb.core.balance;
