/** Route 53 decisions without I/O: record sets, owner markers, the change planner and batching. Pure. */
package io.wavelb.agent.dns;
