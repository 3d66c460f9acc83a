package io.wavelb.agent.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.wavelb.agent.Agent;
import io.wavelb.agent.aws.CloudMapInstances;
import io.wavelb.agent.aws.CloudWatchLoad;
import io.wavelb.agent.aws.Route53Records;
import io.wavelb.agent.feed.BalancerClient;
import io.wavelb.agent.identity.Identity;
import io.wavelb.agent.testing.MotoServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.cloudwatch.model.PutMetricDataRequest;
import software.amazon.awssdk.services.cloudwatch.model.PutMetricDataResponse;
import software.amazon.awssdk.services.route53.Route53Client;
import software.amazon.awssdk.services.servicediscovery.ServiceDiscoveryClient;

/** What the agent asks of the balancer and of AWS when it starts, and in each round after. */
@Timeout(120)
class AgentStartTest {

    /**
     * {@code dns.weight: auto} with CloudWatch: the start reads the load once (for the registration's
     * weight) and puts it to CloudWatch once; each round after reads and puts it once more. Before,
     * the start's own first round read and put it again within the same instant.
     */
    @Test
    void theStartReadsTheLoadOnceAndPutsItToCloudWatchOnce() throws Exception {
        AtomicInteger loadReads = new AtomicInteger();
        AtomicInteger puts = new AtomicInteger();
        HttpServer fakeBalancer = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        fakeBalancer.createContext("/", ex -> {
            boolean load = ex.getRequestURI().getPath().equals("/v1/load");
            if (load) {
                loadReads.incrementAndGet();
            }
            byte[] body = (load
                    ? "{\"listeners\":[{\"name\":\"media\",\"protocol\":\"udp\",\"sessions\":20,\"max_sessions\":100}],"
                    + "\"new_flows_per_second\":1.0,\"datagrams_per_second\":10.0,\"bytes_per_second\":1000.0,"
                    + "\"open_descriptors\":50,\"max_descriptors\":65536,\"event_loop_busy\":0.1,\"window_seconds\":5.0}"
                    : "{\"ready\":true}").getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            try (var o = ex.getResponseBody()) {
                o.write(body);
            }
        });
        fakeBalancer.start();
        CloudWatchLoad cloudWatch = new CloudWatchLoad(new CloudWatchClient() {
            @Override
            public PutMetricDataResponse putMetricData(PutMetricDataRequest request) {
                puts.incrementAndGet();
                return PutMetricDataResponse.builder().build();
            }

            @Override
            public String serviceName() {
                return "cloudwatch";
            }

            @Override
            public void close() {
            }
        }, "WaveLB", "edge-media", "us-east-1-wl1-bos-wlz-1");
        try (MotoServer moto = MotoServer.start()) {
            Route53Client r53 = Route53Records.client("us-east-1", Optional.of(moto.endpoint()));
            ServiceDiscoveryClient sd = CloudMapInstances.client("us-east-1", Optional.of(moto.endpoint()));
            String zoneId = moto.edgeWorld(r53, sd);
            String admin = "http://127.0.0.1:" + fakeBalancer.getAddress().getPort();
            var config = InProcessAgentConfig.of(admin, moto.endpoint(), zoneId, """
                        weight: auto
                        auto_weight:
                          max_weight: 100
                          target_utilization: 0.5
                    """);
            Agent agent = new Agent(config, Identity.resolve(config.identity(), Optional.empty()),
                    new Route53Records(r53, zoneId), new CloudMapInstances(sd, "edge.local", "wavelb"),
                    new CloudMapInstances(sd, "edge.local", "media-servers"),
                    new BalancerClient(URI.create(admin), Optional.empty()), Optional.of(cloudWatch));
            agent.start();
            assertThat(loadReads.get()).as("GET /v1/load during the start").isEqualTo(1);
            assertThat(puts.get()).as("PutMetricData during the start").isEqualTo(1);

            agent.tick();
            assertThat(loadReads.get()).as("and once per round after").isEqualTo(2);
            assertThat(puts.get()).isEqualTo(2);
            r53.close();
            sd.close();
        } finally {
            fakeBalancer.stop(0);
        }
    }
}
