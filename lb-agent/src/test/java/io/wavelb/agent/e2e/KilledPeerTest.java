package io.wavelb.agent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wavelb.agent.aws.CloudMapInstances;
import io.wavelb.agent.aws.Route53Records;
import io.wavelb.agent.dns.RecordSet;
import io.wavelb.agent.testing.MotoServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.route53.Route53Client;
import software.amazon.awssdk.services.servicediscovery.ServiceDiscoveryClient;

/** Two agents of one cluster; one is killed (SIGKILL, no drain): the other removes its record. */
@Timeout(240)
class KilledPeerTest {

    @TempDir
    Path dir;

    private Path config(String instance, String ip, String endpoint, String zoneId) throws Exception {
        Path f = dir.resolve(instance + ".yaml");
        Files.writeString(f, """
                agent:
                  cluster_id: edge-media
                  balancer:
                    admin_url: http://127.0.0.1:%d
                    target_group: media
                  identity:
                    instance_id: %s
                    zone: us-east-1-wl1-bos-wlz-1
                    private_ip: 10.0.1.5
                    public_ip: %s
                  aws:
                    region: us-east-1
                    endpoint: %s
                  dns:
                    hosted_zone_id: %s
                    record_name: media.example.com
                    ttl: 1s
                  cloud_map:
                    namespace: edge.local
                    service: wavelb
                    targets_service: media-servers
                    poll_interval: 1s
                    heartbeat_interval: 1s
                    stale_after: 3s
                  metrics_listen: 127.0.0.1:%d
                """.formatted(AgentEndToEndTest.freePort(), instance, ip, endpoint, zoneId.replace("/hostedzone/", ""),
                AgentEndToEndTest.freePort()));
        return f;
    }

    private Process agent(Path config, String log) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "io.wavelb.agent.cli.AgentMain",
                "run", "--config", config.toString()).redirectErrorStream(true).redirectOutput(dir.resolve(log).toFile()).start();
    }

    @Test
    void aKilledAgentsRecordIsRemovedByItsPeer() throws Exception {
        try (MotoServer moto = MotoServer.start()) {
            Route53Client r53 = Route53Records.client("us-east-1", Optional.of(moto.endpoint()));
            ServiceDiscoveryClient sd = CloudMapInstances.client("us-east-1", Optional.of(moto.endpoint()));
            String zoneId = moto.edgeWorld(r53, sd);
            Route53Records zone = new Route53Records(r53, zoneId);
            Process a = agent(config("i-aaa", "155.146.10.20", moto.endpoint().toString(), zoneId), "a.log");
            Process b = agent(config("i-bbb", "155.146.10.21", moto.endpoint().toString(), zoneId), "b.log");
            try {
                await().atMost(Duration.ofSeconds(60)).until(() -> aRecords(zone).equals(Set.of("i-aaa", "i-bbb")));
                a.destroyForcibly(); // SIGKILL: no drain, its record stays behind
                assertThat(a.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
                // heartbeat older than stale_after (3 s), then stale for stale_after: about 6 s, plus polls
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                        .until(() -> aRecords(zone).equals(Set.of("i-bbb")));
                assertThat(zone.read("media.example.com")).noneMatch(r -> r.setIdentifier().equals("i-aaa"));
                assertThat(Files.readString(dir.resolve("b.log"))).contains("collected the records of stale peer(s) [i-aaa]");
            } finally {
                a.destroyForcibly();
                b.destroyForcibly();
                r53.close();
                sd.close();
            }
        }
    }

    @Test
    void aWholeFleetKilledAtOnceLeavesNoRecordOnceTheReaperHasHandledTheStateChangeEvents() throws Exception {
        try (MotoServer moto = MotoServer.start()) {
            Route53Client r53 = Route53Records.client("us-east-1", Optional.of(moto.endpoint()));
            ServiceDiscoveryClient sd = CloudMapInstances.client("us-east-1", Optional.of(moto.endpoint()));
            String zoneId = moto.edgeWorld(r53, sd);
            Route53Records zone = new Route53Records(r53, zoneId);
            CloudMapInstances wavelb = new CloudMapInstances(sd, "edge.local", "wavelb");
            Process a = agent(config("i-aaa", "155.146.10.20", moto.endpoint().toString(), zoneId), "a.log");
            Process b = agent(config("i-bbb", "155.146.10.21", moto.endpoint().toString(), zoneId), "b.log");
            try {
                await().atMost(Duration.ofSeconds(60)).until(() -> aRecords(zone).equals(Set.of("i-aaa", "i-bbb")));
                a.destroyForcibly(); // SIGKILL both: no drain, and no peer left to collect
                b.destroyForcibly();
                assertThat(a.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
                assertThat(b.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
                assertThat(aRecords(zone)).as("the blackhole: records of a dead fleet").hasSize(2);
                var reaper = new io.wavelb.agent.reaper.ReaperLambda(io.wavelb.agent.reaper.ReaperTest.env(
                        moto.endpoint().toString(), zoneId.replace("/hostedzone/", "")));
                for (String id : List.of("i-aaa", "i-bbb")) {
                    io.wavelb.agent.reaper.ReaperTest.invoke(reaper,
                            io.wavelb.agent.reaper.ReaperTest.event("ec2-state-terminated.json", id));
                }
                assertThat(zone.read("media.example.com")).as("no A record and no marker left").isEmpty();
                assertThat(wavelb.discoverAll()).as("no Cloud Map registration left").isEmpty();
            } finally {
                a.destroyForcibly();
                b.destroyForcibly();
                r53.close();
                sd.close();
            }
        }
    }

    private static Set<String> aRecords(Route53Records zone) {
        return zone.read("media.example.com").stream().filter(r -> r.type() == RecordSet.Type.A)
                .map(RecordSet::setIdentifier).collect(Collectors.toSet());
    }
}
