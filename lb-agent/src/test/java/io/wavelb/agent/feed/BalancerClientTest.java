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
    void anUnreachableBalancerIsNotReady() throws Exception {
        assertThat(new BalancerClient(URI.create("http://127.0.0.1:9"), Optional.empty()).ready()).isFalse();
    }
}
