/**
 * The reaper: removes a departed instance's weighted record, owner marker and Cloud Map
 * registration from an EventBridge event (EC2 state change, Auto Scaling terminate action), with no
 * live peer needed. Runs as {@code wavelb-agent reap} and as a Lambda function ({@link
 * io.wavelb.agent.reaper.ReaperLambda}); AWS SDK at its edge.
 */
package io.wavelb.agent.reaper;
