package io.wavelb.agent.feed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.wavelb.agent.discovery.TargetFilter;
import io.wavelb.agent.reconcile.LoadFigures;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BalancerClientTest {

    @TempDir
    Path dir;

    @Test
    void anUnreachableBalancerIsAnErrorThatSaysWhatWasCalled() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path token = Files.writeString(dir.resolve("t"), "x\n");
        BalancerClient client = new BalancerClient(URI.create("http://127.0.0.1:" + port), Optional.of(token));
        assertThatThrownBy(() -> client.putTargets("media", List.of()))
                .isInstanceOf(BalancerClient.BalancerException.class)
                .hasMessageStartingWith("PUT http://127.0.0.1:" + port + "/v1/target-groups/media/targets: balancer not reachable")
                .hasMessageContaining("ConnectException");
    }

    @Test
    void openFlowsSumSessionsAndConnectionsOverEveryGroupAndTarget() throws Exception {
        HttpServer admin = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4);
        byte[] body = """
                {"target_groups":[
                  {"name":"media","targets":[{"address":"10.0.1.10:7000","active_sessions":3,"active_connections":0},
                                             {"address":"10.0.1.11:7000","active_sessions": 2, "active_connections" : 1}]},
                  {"name":"web","targets":[{"address":"10.0.1.12:443","active_sessions":0,"active_connections":4}]}]}
                """.getBytes(StandardCharsets.UTF_8);
        admin.createContext("/v1/targets", ex -> {
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        admin.start();
        try {
            BalancerClient client = new BalancerClient(URI.create("http://127.0.0.1:" + admin.getAddress().getPort()),
                    Optional.empty());
            assertThat(client.openFlows()).isEqualTo(10);
        } finally {
            admin.stop(0);
        }
    }

    @Test
    void anUnreachableBalancerIsNotReady() throws Exception {
        assertThat(new BalancerClient(URI.create("http://127.0.0.1:9"), Optional.empty()).ready()).isFalse();
    }

    @Test
    void targetsAreSentWithTheirServerIdsWhenTheyHaveOne() throws Exception {
        HttpServer admin = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4);
        AtomicReference<String> put = new AtomicReference<>();
        admin.createContext("/v1/target-groups/quic/targets", ex -> {
            put.set(ex.getRequestMethod() + " " + new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        admin.start();
        try {
            new BalancerClient(URI.create("http://127.0.0.1:" + admin.getAddress().getPort()),
                    Optional.of(Files.writeString(dir.resolve("token"), "x\n")))
                    .putTargets("quic", List.of(new TargetFilter.Target("10.0.1.10:443", 100, "0x0001"),
                            new TargetFilter.Target("10.0.1.11:443", 100)));
            assertThat(put.get()).isEqualTo("PUT {\"targets\":[{\"address\":\"10.0.1.10:443\",\"weight\":100,"
                    + "\"server_id\":\"0x0001\"},{\"address\":\"10.0.1.11:443\",\"weight\":100}]}");
        } finally {
            admin.stop(0);
        }
    }

    @Test
    void openFlowsOfABodyThatIsNotTheTargetListIsAnErrorThatSaysWhy() {
        assertThatThrownBy(() -> BalancerClient.parseOpenFlows("{\"target_groups\": {}}"))
                .isInstanceOf(BalancerClient.BalancerException.class)
                .hasMessage("GET /v1/targets: not the expected JSON (target_groups is an object, expected an array)");
        assertThatThrownBy(() -> BalancerClient.parseOpenFlows("<html>"))
                .hasMessageStartingWith("GET /v1/targets: not the expected JSON (expected a value at offset 0");
    }

    @Test
    void loadFiguresAreReadAndAnAbsentFigureTakesItsDefault() throws Exception {
        LoadFigures load = BalancerClient.parseLoad("""
                {"listeners":[{"name":"media","sessions":12,"max_sessions":100}],"new_flows_per_second":2.5,
                 "datagrams_per_second":1000,"open_descriptors":40,"max_descriptors":1024,"event_loop_busy":0.25}
                """);
        assertThat(load.listeners()).containsExactly(new LoadFigures.Listener("media", 12, 100));
        assertThat(load.newFlowsPerSecond()).isEqualTo(2.5);
        assertThat(load.bytesPerSecond()).isZero();
        assertThat(load.maxDescriptors()).isEqualTo(1024);
        assertThatThrownBy(() -> BalancerClient.parseLoad("[1]"))
                .hasMessage("GET /v1/load: not the expected JSON (the body is an array, expected an object)");
        assertThatThrownBy(() -> BalancerClient.parseLoad("{\"a\":1,\"a\":2}"))
                .hasMessageContaining("duplicate key");
    }
}
