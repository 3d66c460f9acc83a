package io.wavelb.agent.feed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
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
        com.sun.net.httpserver.HttpServer admin = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4);
        byte[] body = """
                {"target_groups":[
                  {"name":"media","targets":[{"address":"10.0.1.10:7000","active_sessions":3,"active_connections":0},
                                             {"address":"10.0.1.11:7000","active_sessions": 2, "active_connections" : 1}]},
                  {"name":"web","targets":[{"address":"10.0.1.12:443","active_sessions":0,"active_connections":4}]}]}
                """.getBytes(java.nio.charset.StandardCharsets.UTF_8);
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
        com.sun.net.httpserver.HttpServer admin = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4);
        java.util.concurrent.atomic.AtomicReference<String> put = new java.util.concurrent.atomic.AtomicReference<>();
        admin.createContext("/v1/target-groups/quic/targets", ex -> {
            put.set(ex.getRequestMethod() + " " + new String(ex.getRequestBody().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        admin.start();
        try {
            new BalancerClient(URI.create("http://127.0.0.1:" + admin.getAddress().getPort()),
                    Optional.of(Files.writeString(dir.resolve("token"), "x\n")))
                    .putTargets("quic", List.of(new io.wavelb.agent.discovery.TargetFilter.Target("10.0.1.10:443", 100, "0x0001"),
                            new io.wavelb.agent.discovery.TargetFilter.Target("10.0.1.11:443", 100)));
            assertThat(put.get()).isEqualTo("PUT {\"targets\":[{\"address\":\"10.0.1.10:443\",\"weight\":100,"
                    + "\"server_id\":\"0x0001\"},{\"address\":\"10.0.1.11:443\",\"weight\":100}]}");
        } finally {
            admin.stop(0);
        }
    }
}
