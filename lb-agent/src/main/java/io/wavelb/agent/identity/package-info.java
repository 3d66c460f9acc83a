/** This instance's identity: configured values, else IMDSv2. */
package io.wavelb.agent.identity;
