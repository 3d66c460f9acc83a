package io.wavelb.core.peers;

import io.wavelb.config.ConfigLoader;
import io.wavelb.core.LoadBalancer;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.target.Target;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.ice4j.Transport;
import org.ice4j.TransportAddress;
import org.ice4j.ice.Agent;
import org.ice4j.ice.CandidatePair;
import org.ice4j.ice.CandidateType;
import org.ice4j.ice.Component;
import org.ice4j.ice.IceMediaStream;
import org.ice4j.ice.IceProcessingState;
import org.ice4j.ice.LocalCandidate;
import org.ice4j.ice.RemoteCandidate;

/**
 * Runs inside a network namespace of its own ({@link IceAgentPeerTest} starts it there): ice4j skips
 * loopback interfaces, so the agents need a real-looking one, and a namespace gives one without
 * touching the host. Three answering ice4j agents are the targets of a wavelb listener with
 * {@code affinity: stun}, each with its server ID as ufrag prefix; an offering agent with two host
 * addresses knows the answerer only by the balancer's address. Prints one result line and exits
 * 0 when ICE completed through the balancer on the right target from both addresses.
 */
public final class IceScenario {

    private IceScenario() {
    }

    public static void main(String[] args) throws Exception {
        InetAddress host = InetAddress.getByName(args[0]);
        int vipPort = Integer.parseInt(args[1]);
        int adminPort = Integer.parseInt(args[2]);

        List<Agent> answerers = new ArrayList<>();
        StringBuilder targets = new StringBuilder();
        for (int i = 1; i <= 3; i++) {
            Agent a = new Agent("000" + i, null);
            a.setControlling(false);
            IceMediaStream s = a.createMediaStream("data");
            Component c = a.createComponent(s, 20000 + 10 * i, 20000 + 10 * i, 20000 + 10 * i + 9);
            answerers.add(a);
            TransportAddress where = onHost(c, host);
            targets.append("      - address: ").append(host.getHostAddress()).append(':').append(where.getPort())
                    .append("\n        server_id: \"0x000").append(i).append("\"\n");
        }
        try (LoadBalancer lb = LoadBalancer.start(ConfigLoader.parse("""
                admin:
                  listen: 127.0.0.1:%d
                listeners:
                  - name: webrtc
                    protocol: udp
                    listen: %s:%d
                    target_group: sfu
                    udp:
                      affinity: stun
                target_groups:
                  - name: sfu
                    targets:
                %s""".formatted(adminPort, host.getHostAddress(), vipPort, targets), "ice.yaml"))) {
            TransportAddress vip = new TransportAddress(host, vipPort, Transport.UDP);

            Agent offerer = new Agent();
            offerer.setControlling(true);
            IceMediaStream os = offerer.createMediaStream("data");
            Component oc = offerer.createComponent(os, 21000, 21000, 21009);

            // Signalling, done by hand: the offerer learns the second answerer's credentials and,
            // as its only candidate, the balancer. The answerer learns the offerer's credentials but
            // no candidate: as an SFU behind a balancer, it only answers, and its triggered checks
            // go back to where the checks came from, the balancer's session socket.
            Agent answerer = answerers.get(1);
            os.setRemoteUfrag(answerer.getLocalUfrag());
            os.setRemotePassword(answerer.getLocalPassword());
            oc.addRemoteCandidate(new RemoteCandidate(vip, oc, CandidateType.HOST_CANDIDATE, "1", 2130706431L, null));
            IceMediaStream as = answerer.getStream("data");
            as.setRemoteUfrag(offerer.getLocalUfrag());
            as.setRemotePassword(offerer.getLocalPassword());

            CountDownLatch done = new CountDownLatch(2);
            for (Agent a : List.of(offerer, answerer)) {
                a.addStateChangeListener(e -> {
                    if (e.getNewValue() == IceProcessingState.COMPLETED || e.getNewValue() == IceProcessingState.FAILED
                            || e.getNewValue() == IceProcessingState.TERMINATED) {
                        done.countDown();
                    }
                });
            }
            answerer.startConnectivityEstablishment();
            offerer.startConnectivityEstablishment();
            boolean finished = done.await(30, TimeUnit.SECONDS);

            CandidatePair selected = oc.getSelectedPair();
            List<Integer> sessions = new ArrayList<>();
            for (Target t : lb.targetGroups().get("sfu").targets()) {
                sessions.add(t.udpSessions());
            }
            long byServerId = lb.stats("webrtc").total(ListenerCounter.STUN_SERVER_ID);
            // Each IPv4 host candidate of the offerer checks the balancer from its own address.
            long ipv4Candidates = oc.getLocalCandidates().stream()
                    .filter(l -> l.getType() == CandidateType.HOST_CANDIDATE
                            && l.getTransportAddress().getAddress() instanceof java.net.Inet4Address).count();
            // The answerer saw the balancer's session sockets, not the offerer: the offerer learns
            // them back as peer-reflexive candidates of its own (XOR-MAPPED-ADDRESS). ICE completes
            // on its first nominated pair; another host candidate's check may answer a moment
            // later (seen once in CI), so its candidate is waited for, at most 5 s.
            long reflexive = 0;
            for (int i = 0; i < 100; i++) {
                reflexive = oc.getLocalCandidates().stream()
                        .filter(l -> l.getType() == CandidateType.PEER_REFLEXIVE_CANDIDATE).count();
                if (reflexive >= ipv4Candidates) {
                    break;
                }
                Thread.sleep(50);
            }
            String result = "finished=" + finished + " offerer=" + offerer.getState() + " answerer=" + answerer.getState()
                    + " offererIpv4Candidates=" + ipv4Candidates + " " + oc.getLocalCandidates()
                    + " selectedRemote=" + (selected == null ? null : selected.getRemoteCandidate().getTransportAddress())
                    + " vip=" + vip + " sessionsPerTarget=" + sessions + " stunByServerId=" + byServerId
                    + " answererUfrag=" + answerer.getLocalUfrag();
            System.out.println("ICE-RESULT " + result);
            boolean ok = finished
                    && offerer.getState() == IceProcessingState.COMPLETED
                    && answerer.getState() == IceProcessingState.COMPLETED
                    && selected != null && selected.getRemoteCandidate().getTransportAddress().equals(vip)
                    && sessions.get(0) == 0 && sessions.get(2) == 0 && sessions.get(1) == ipv4Candidates
                    && ipv4Candidates >= 2 && byServerId > 0 && reflexive == ipv4Candidates;
            offerer.free();
            answerers.forEach(Agent::free);
            System.exit(ok ? 0 : 1);
        }
    }

    private static TransportAddress onHost(Component c, InetAddress host) {
        for (LocalCandidate l : c.getLocalCandidates()) {
            if (l.getTransportAddress().getAddress().equals(host)) {
                return l.getTransportAddress();
            }
        }
        throw new IllegalStateException("no host candidate on " + host + ": " + c.getLocalCandidates());
    }
}
