package io.wavelb.agent.reaper;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import io.wavelb.agent.aws.CloudMapInstances;
import io.wavelb.agent.aws.Route53Records;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.route53.Route53Client;
import software.amazon.awssdk.services.servicediscovery.ServiceDiscoveryClient;

/**
 * The reaper as a Lambda function (handler {@code io.wavelb.agent.reaper.ReaperLambda::handleRequest},
 * runtime java21, the agent's shaded jar as the code), invoked by an EventBridge rule. Configured by
 * environment variables, set by lb-agent/deploy/reaper.yaml:
 * {@code WAVELB_CLUSTER_ID}, {@code WAVELB_HOSTED_ZONE_ID}, {@code WAVELB_RECORD_NAMES} (comma
 * separated: one per zone in a multi-zone layout), {@code WAVELB_CLOUD_MAP_NAMESPACE},
 * {@code WAVELB_CLOUD_MAP_SERVICE}; {@code AWS_REGION} is Lambda's own; {@code WAVELB_AWS_ENDPOINT}
 * is for emulators only. Clients are built once per execution environment and reused across
 * invocations. A failure is thrown, so Lambda's asynchronous retries (two, with backoff) apply.
 */
public final class ReaperLambda implements RequestStreamHandler {

    private final Reaper reaper;

    /** Lambda's constructor: configuration from the environment. */
    public ReaperLambda() {
        this(System.getenv());
    }

    public ReaperLambda(Map<String, String> env) {
        String region = required(env, "AWS_REGION");
        Optional<URI> endpoint = Optional.ofNullable(env.get("WAVELB_AWS_ENDPOINT")).filter(s -> !s.isBlank()).map(URI::create);
        Route53Client r53 = Route53Records.client(region, endpoint);
        ServiceDiscoveryClient sd = CloudMapInstances.client(region, endpoint);
        List<String> names = Arrays.stream(required(env, "WAVELB_RECORD_NAMES").split(",")).map(String::strip)
                .filter(s -> !s.isEmpty()).toList();
        this.reaper = new Reaper(required(env, "WAVELB_CLUSTER_ID"), names,
                new Route53Records(r53, required(env, "WAVELB_HOSTED_ZONE_ID")),
                new CloudMapInstances(sd, required(env, "WAVELB_CLOUD_MAP_NAMESPACE"), required(env, "WAVELB_CLOUD_MAP_SERVICE")));
    }

    private static String required(Map<String, String> env, String key) {
        String v = env.get(key);
        if (v == null || v.isBlank()) {
            throw new IllegalStateException("environment variable " + key + " is not set (see lb-agent/deploy/reaper.yaml)");
        }
        return v;
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        String event = new String(input.readAllBytes(), StandardCharsets.UTF_8);
        String answer;
        try {
            answer = reaper.handle(ReapEvent.parse(event)).map(Reaper.Outcome::json).orElse("{\"reaped\":null}");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        output.write(answer.getBytes(StandardCharsets.UTF_8));
    }
}
