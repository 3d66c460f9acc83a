package io.wavelb.core.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.config.AdminConfig;
import io.wavelb.config.HostPort;
import io.wavelb.core.metrics.WavelbMetrics;
import io.wavelb.core.testing.HeldLoop;
import io.wavelb.core.testing.Warnings;
import io.wavelb.core.transport.Transport;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The endpoint in front of a fake that records every call: what reaches the operations, and what never does. */
@Timeout(30)
class AdminServerTest {

    @TempDir
    Path dir;

    /** Records calls; ready, no groups. */
    static class Recording implements AdminOperations {
        final List<String> calls = java.util.Collections.synchronizedList(new ArrayList<>());

        @Override
        public Readiness readiness() {
            return new Readiness(true, List.of());
        }

        @Override
        public List<GroupStatus> targets() {
            return List.of();
        }

        @Override
        public void replaceTargets(String group, List<TargetSpec> targets) {
            calls.add("replace " + group + " " + targets);
        }

        @Override
        public void drain(String group, HostPort address) {
            calls.add("drain " + group + " host=" + address.host() + " port=" + address.port());
        }

        @Override
        public ReloadOutcome reload() {
            calls.add("reload");
            return new Reloaded("nothing");
        }
    }

    private static HttpResponse<String> post(String base, String path, String method, String body) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + path))
                .header("Authorization", "Bearer t0ken")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void drainsReachTheOperationsWithTheDecodedAddressAndRefusedRequestsNeverDo() throws Exception {
        Path token = dir.resolve("token");
        Files.writeString(token, "t0ken\n");
        Recording ops = new Recording();
        try (WavelbMetrics metrics = new WavelbMetrics();
             AdminServer server = AdminServer.start(new AdminConfig(new HostPort("127.0.0.1", 0), Optional.of(token)),
                     Transport.select(io.wavelb.config.Transport.AUTO), ops, metrics)) {
            String base = "http://127.0.0.1:" + server.localAddress().getPort();
            assertThat(post(base, "/v1/target-groups/g/targets/%5B%3A%3A1%5D%3A7001/drain", "POST", null).statusCode())
                    .isEqualTo(202);
            assertThat(post(base, "/v1/target-groups/g/targets/10.0.1.10%3A7000/drain", "POST", null).statusCode())
                    .isEqualTo(202);
            assertThat(ops.calls).containsExactly("drain g host=::1 port=7001", "drain g host=10.0.1.10 port=7000");

            ops.calls.clear();
            assertThat(post(base, "/v1/target-groups/g/targets", "PUT", "{\"targets\": [").statusCode()).isEqualTo(400);
            assertThat(post(base, "/v1/target-groups/g/targets", "PUT",
                    "{\"targets\":[{\"address\":\"10.0.0.1:80\",\"weight\":5000}]}").statusCode()).isEqualTo(400);
            assertThat(post(base, "/v1/target-groups/g/targets/not-an-address/drain", "POST", null).statusCode())
                    .isEqualTo(400);
            assertThat(post(base, "/v1/reload", "GET", null).statusCode()).isEqualTo(405);
            assertThat(ops.calls).as("nothing refused reached the operations").isEmpty();

            assertThat(post(base, "/v1/target-groups/g/targets", "PUT",
                    "{\"targets\":[{\"address\":\"[::1]:7001\",\"weight\":7}]}").statusCode()).isEqualTo(200);
            assertThat(ops.calls).containsExactly("replace g [TargetSpec[address=[::1]:7001, weight=7, serverId=Optional.empty]]");

            ops.calls.clear();
            HttpResponse<String> badId = post(base, "/v1/target-groups/g/targets", "PUT",
                    "{\"targets\":[{\"address\":\"10.0.0.1:443\",\"server_id\":\"0xzz\"}]}");
            assertThat(badId.statusCode()).isEqualTo(400);
            assertThat(badId.body()).contains("targets[0].server_id: 0xzz (expected 1..15 bytes in hex");
            assertThat(post(base, "/v1/target-groups/g/targets", "PUT",
                    "{\"targets\":[{\"address\":\"10.0.0.1:443\",\"server_id\":\"0x00A1\"}]}").statusCode()).isEqualTo(200);
            assertThat(ops.calls).containsExactly(
                    "replace g [TargetSpec[address=10.0.0.1:443, weight=100, serverId=Optional[0x00a1]]]");
        }
    }

    /**
     * A stuck admin loop (here held by a task) must not keep the process from stopping: close waits
     * at most CLOSE_STEP per step, then goes on and names the loop.
     */
    @Test
    void closeWithAStuckAdminLoopEndsAfterItsBoundAndNamesTheLoop() throws Exception {
        try (WavelbMetrics metrics = new WavelbMetrics()) {
            AdminServer server = AdminServer.start(new AdminConfig(new HostPort("127.0.0.1", 0), Optional.empty()),
                    Transport.select(io.wavelb.config.Transport.AUTO), new Recording(), metrics);
            try (HeldLoop held = HeldLoop.hold(server.loop().next())) {
                List<String> warnings = Warnings.during(server::close);
                assertThat(held.holding()).as("close returned while the loop was still held").isTrue();
                assertThat(warnings).anyMatch(w -> w.startsWith("admin endpoint: closing its listening socket has not finished after "
                        + AdminServer.CLOSE_STEP.toSeconds() + " s"));
                assertThat(warnings).anyMatch(w -> w.startsWith("admin endpoint: event loop still running after "
                        + AdminServer.CLOSE_STEP.toSeconds() + " s; going on without them; wavelb-loop-"));
            }
        }
    }
}
