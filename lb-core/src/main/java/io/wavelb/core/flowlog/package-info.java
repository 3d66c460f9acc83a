/**
 * Flow logs: the record of a flow ({@link io.wavelb.core.flowlog.FlowRecord}), its end reasons,
 * its JSON and logfmt lines ({@link io.wavelb.core.flowlog.FlowRecordFormat}, pure), the per-flow
 * sampling decision, and the writer ({@link io.wavelb.core.flowlog.FlowLogWriter}: a bounded
 * lock-free queue the event loops offer to, drained by one thread of its own that writes and
 * reopens the file), behind the process-wide {@link io.wavelb.core.flowlog.FlowLog} the data plane
 * calls. No Netty: formatting and the queue are tested without sockets.
 */
package io.wavelb.core.flowlog;
