package io.wavelb.agent.identity;

import io.wavelb.config.AgentConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/**
 * Who this instance is: its id (the DNS SetIdentifier and Cloud Map InstanceId), zone, network
 * border group, private IP and public (Carrier) IP. Values set in the config win; the rest is read
 * from IMDSv2 (a session token first, as IMDSv2 requires), except the public address, which EC2
 * answers with the network interface's Carrier IP in a Wavelength zone (IMDS is the last resort).
 */
public record Identity(String instanceId, String zone, String networkBorderGroup, String privateIp, String publicIp) {

    static final URI DEFAULT_IMDS = URI.create("http://169.254.169.254");

    /** Configured values, else IMDSv2; the public address from {@code publicAddress} (EC2), else IMDS. */
    public static Identity resolve(AgentConfig.Identity configured, Optional<URI> imdsEndpoint)
            throws IOException, InterruptedException {
        return resolve(configured, imdsEndpoint, id -> Optional.empty());
    }

    public static Identity resolve(AgentConfig.Identity configured, Optional<URI> imdsEndpoint,
                                   java.util.function.Function<String, Optional<String>> publicAddress)
            throws IOException, InterruptedException {
        return resolve(configured, imdsEndpoint, publicAddress, zone -> Optional.empty());
    }

    /**
     * @param borderGroup the zone's network border group as EC2 knows it (DescribeAvailabilityZones);
     *                    empty when EC2 cannot say, and then the zone's name stands in (right for a
     *                    Wavelength zone, whose group carries its name)
     */
    public static Identity resolve(AgentConfig.Identity configured, Optional<URI> imdsEndpoint,
                                   java.util.function.Function<String, Optional<String>> publicAddress,
                                   java.util.function.Function<String, Optional<String>> borderGroup)
            throws IOException, InterruptedException {
        Imds imds = new Imds(imdsEndpoint.orElse(DEFAULT_IMDS));
        String id = configured.instanceId().isPresent() ? configured.instanceId().get() : imds.get("instance-id");
        String zone = configured.zone().isPresent() ? configured.zone().get() : imds.get("placement/availability-zone");
        String nbg = configured.networkBorderGroup().isPresent() ? configured.networkBorderGroup().get()
                : borderGroup.apply(zone).orElse(zone);
        String privateIp = configured.privateIp().isPresent() ? configured.privateIp().get() : imds.get("local-ipv4");
        String publicIp;
        if (configured.publicIp().isPresent()) {
            publicIp = configured.publicIp().get();
        } else {
            Optional<String> fromEc2 = publicAddress.apply(id);
            publicIp = fromEc2.isPresent() ? fromEc2.get() : imds.get("public-ipv4");
        }
        return new Identity(id, zone, nbg, privateIp, publicIp);
    }

    /**
     * This identity with its public address read again (EC2's Carrier or Elastic IP, else IMDS), unless
     * it is configured: a re-associated address must reach the record. A failed read keeps the old one.
     */
    public Identity refreshed(AgentConfig.Identity configured, Imds imds,
                              java.util.function.Function<String, Optional<String>> publicAddress)
            throws IOException, InterruptedException {
        if (configured.publicIp().isPresent()) {
            return this;
        }
        Optional<String> fromEc2 = publicAddress.apply(instanceId);
        String ip = fromEc2.isPresent() ? fromEc2.get() : imds.get("public-ipv4");
        return ip.equals(publicIp) ? this : new Identity(instanceId, zone, networkBorderGroup, privateIp, ip);
    }

    /** A minimal IMDSv2 client: PUT for a token, then GETs carrying it. */
    public static final class Imds {
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        private final URI base;
        private String token;

        public Imds(Optional<URI> base) {
            this(base.orElse(DEFAULT_IMDS));
        }

        Imds(URI base) {
            this.base = base;
        }

        /**
         * A metadata path that may be absent: empty on 404 (IMDS answers 404 for
         * {@code spot/instance-action} until there is one, and for {@code autoscaling/...} outside a group).
         * An expired token (401) is renewed once.
         */
        public Optional<String> find(String path) throws IOException, InterruptedException {
            for (int attempt = 0; ; attempt++) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/latest/meta-data/" + path))
                        .timeout(Duration.ofSeconds(2)).header("X-aws-ec2-metadata-token", token()).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 401 && attempt == 0) {
                    token = null;
                    continue;
                }
                if (r.statusCode() == 404) {
                    return Optional.empty();
                }
                if (r.statusCode() != 200) {
                    throw new IOException("IMDS " + path + " answered " + r.statusCode());
                }
                return Optional.of(r.body().strip());
            }
        }

        private String token() throws IOException, InterruptedException {
            if (token == null) {
                HttpResponse<String> t = http.send(HttpRequest.newBuilder(base.resolve("/latest/api/token"))
                        .timeout(Duration.ofSeconds(2)).header("X-aws-ec2-metadata-token-ttl-seconds", "21600")
                        .PUT(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                if (t.statusCode() != 200) {
                    throw new IOException("IMDSv2 token request to " + base + " answered " + t.statusCode());
                }
                token = t.body().strip();
            }
            return token;
        }

        String get(String path) throws IOException, InterruptedException {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/latest/meta-data/" + path))
                    .timeout(Duration.ofSeconds(2)).header("X-aws-ec2-metadata-token", token()).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200 || r.body().isBlank()) {
                throw new IOException("IMDS " + path + " answered " + r.statusCode() + " (set agent.identity."
                        + path.replace("placement/availability-zone", "zone").replace("-", "_") + " to give it statically)");
            }
            return r.body().strip();
        }
    }
}
