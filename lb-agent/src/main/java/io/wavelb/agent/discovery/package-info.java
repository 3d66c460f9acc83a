/** Discovery decisions without I/O: discovered instances and which of them become targets. Pure. */
package io.wavelb.agent.discovery;
