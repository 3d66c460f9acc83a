package io.wavelb.agent.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.agent.aws.CloudMapInstances;
import io.wavelb.agent.aws.Route53Records;
import io.wavelb.agent.discovery.DiscoveredInstance;
import io.wavelb.agent.testing.MotoServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.route53.Route53Client;
import software.amazon.awssdk.services.servicediscovery.ServiceDiscoveryClient;

/** {@code wavelb-agent plan} shows what run would do, and changes nothing. */
@Timeout(120)
class PlanCommandTest {

    @TempDir
    Path dir;

    @Test
    void planPrintsTheChangesAndTargetsAndLeavesAwsUntouched() throws Exception {
        try (MotoServer moto = MotoServer.start()) {
            Route53Client r53 = Route53Records.client("us-east-1", Optional.of(moto.endpoint()));
            ServiceDiscoveryClient sd = CloudMapInstances.client("us-east-1", Optional.of(moto.endpoint()));
            String zoneId = moto.edgeWorld(r53, sd);
            CloudMapInstances media = new CloudMapInstances(sd, "edge.local", "media-servers");
            media.register("task-a", Map.of(DiscoveredInstance.IPV4, "10.0.1.10", DiscoveredInstance.PORT, "7000",
                    DiscoveredInstance.ZONE, "us-east-1-wl1-bos-wlz-1"));
            media.heartbeat("task-a", true);
            Path cfg = dir.resolve("agent.yaml");
            Files.writeString(cfg, Files.readString(Path.of("../config/examples/agent.yaml"))
                    .replace("http://127.0.0.1:5055", moto.endpoint().toString())
                    .replace("Z0123456789ABC", zoneId.replace("/hostedzone/", ""))
                    .replace("    imds_endpoint: http://127.0.0.1:1338   # optional\n", ""));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Method run = Class.forName("io.wavelb.agent.cli.AgentMain").getDeclaredMethod("run", String[].class,
                    PrintStream.class, PrintStream.class);
            run.setAccessible(true);
            int code = (int) run.invoke(null, new String[] {"plan", "--config", cfg.toString()},
                    new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream()));
            String printed = out.toString(StandardCharsets.UTF_8);
            assertThat(code).as(printed).isZero();
            assertThat(printed).contains("UPSERT TXT _wavelb-owner.media.example.com [")
                    .containsPattern("UPSERT A media.example.com \\[[^]]+] weight=\\d+ ttl=\\d+ 155.146.10.20")
                    .contains("155.146.10.20").contains("10.0.1.10:7000")
                    .contains("Cloud Map edge.local/wavelb:")
                    .containsPattern("REGISTER i-0123456789abcdef0 \\{AVAILABILITY_ZONE=us-east-1-wl1-bos-wlz-1, .*"
                            + "AWS_INSTANCE_IPV4=10.0.1.5, .*WAVELB_CARRIER_IP=155.146.10.20")
                    .contains("HEALTH i-0123456789abcdef0 HEALTHY");
            assertThat(new Route53Records(r53, zoneId).read("media.example.com")).as("plan changes nothing").isEmpty();
            assertThat(new CloudMapInstances(sd, "edge.local", "wavelb").discoverHealthy()).isEmpty();
            r53.close();
            sd.close();
        }
    }

    @Test
    void planShowsTheLoadAwareWeightAndWhy() throws Exception {
        com.sun.net.httpserver.HttpServer balancer = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 4);
        balancer.createContext("/", ex -> {
            byte[] body = (ex.getRequestURI().getPath().equals("/v1/load")
                    ? "{\"listeners\":[{\"name\":\"media\",\"protocol\":\"udp\",\"sessions\":80,\"max_sessions\":100}],"
                    + "\"new_flows_per_second\":12.5,\"datagrams_per_second\":900.0,\"bytes_per_second\":1.2E6,"
                    + "\"open_descriptors\":200,\"max_descriptors\":65536,\"event_loop_busy\":0.2,\"window_seconds\":5.0}"
                    : "{\"ready\":true}").getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            try (var o = ex.getResponseBody()) {
                o.write(body);
            }
        });
        balancer.start();
        try (MotoServer moto = MotoServer.start()) {
            Route53Client r53 = Route53Records.client("us-east-1", Optional.of(moto.endpoint()));
            ServiceDiscoveryClient sd = CloudMapInstances.client("us-east-1", Optional.of(moto.endpoint()));
            String zoneId = moto.edgeWorld(r53, sd);
            Path cfg = dir.resolve("agent.yaml");
            Files.writeString(cfg, Files.readString(Path.of("../config/examples/agent.yaml"))
                    .replace("http://127.0.0.1:5055", moto.endpoint().toString())
                    .replace("http://127.0.0.1:9901", "http://127.0.0.1:" + balancer.getAddress().getPort())
                    .replace("Z0123456789ABC", zoneId.replace("/hostedzone/", ""))
                    .replaceAll("(?m)^    weight: 100.*$", "    weight: auto\n    auto_weight: { target_utilization: 0.5 }")
                    .replace("record_name: media.example.com", "record_name: \"{zone}.media.example.com\"")
                    .replace("    imds_endpoint: http://127.0.0.1:1338   # optional\n", ""));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Method run = Class.forName("io.wavelb.agent.cli.AgentMain").getDeclaredMethod("run", String[].class,
                    PrintStream.class, PrintStream.class);
            run.setAccessible(true);
            int code = (int) run.invoke(null, new String[] {"plan", "--config", cfg.toString()},
                    new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream()));
            String printed = out.toString(StandardCharsets.UTF_8);
            assertThat(code).as(printed).isZero();
            assertThat(printed).contains("load: 12.5 new flows/s, 900.0 datagrams/s, 1200000 bytes/s")
                    .contains("weight: 40 (auto: utilization 0.80 (listener 'media' sessions 80/100) > target 0.50: "
                            + "100 x (1 - 0.80) / (1 - 0.50) = 40; changes at least 30s apart and by at least 10)")
                    .as("a multi-zone layout: the zone's own name").containsPattern(
                            "UPSERT A us-east-1-wl1-bos-wlz-1.media.example.com \\[[^]]+] weight=40 ")
                    .as("Cloud Map gets the weight run registers, not the ceiling dns.weight")
                    .containsPattern("REGISTER i-0123456789abcdef0 \\{.*WAVELB_WEIGHT=40[,}]");
            r53.close();
            sd.close();
        } finally {
            balancer.stop(0);
        }
    }
}
