package io.wavelb.agent.aws;

import io.wavelb.agent.identity.Identity;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.imds.Ec2MetadataClient;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.AvailabilityZone;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.NetworkInterfaceAssociation;

/**
 * The identity look-ups: IMDSv2 through the SDK's {@link Ec2MetadataClient} (it fetches the session
 * token first, as IMDSv2 requires) and EC2's DescribeNetworkInterfaces / DescribeAvailabilityZones
 * for what IMDS does not know (the Carrier IP, the network border group). Clients are created on
 * first use, so a fully configured identity makes no AWS client at all; both are closed with this.
 */
public final class Ec2Identity implements Identity.Sources, AutoCloseable {

    static final URI DEFAULT_IMDS = URI.create("http://169.254.169.254");

    private final String region;
    private final Optional<URI> endpoint;
    private final URI imdsEndpoint;
    private Ec2MetadataClient imds;
    private Ec2Client ec2;

    public Ec2Identity(String region, Optional<URI> endpoint, Optional<URI> imdsEndpoint) {
        this.region = region;
        this.endpoint = endpoint;
        this.imdsEndpoint = imdsEndpoint.orElse(DEFAULT_IMDS);
    }

    @Override
    public String metadata(String path) throws IOException {
        if (imds == null) {
            imds = Ec2MetadataClient.builder().endpoint(imdsEndpoint).httpClient(UrlConnectionHttpClient.create())
                    .retryPolicy(p -> p.numRetries(2)).build();
        }
        try {
            String value = imds.get("/latest/meta-data/" + path).asString().strip();
            if (value.isEmpty()) {
                throw new IOException("IMDS " + imdsEndpoint + " has no " + path);
            }
            return value;
        } catch (SdkException | UncheckedIOException e) {
            throw new IOException("IMDS " + imdsEndpoint + ": cannot read " + path + " (" + e.getMessage()
                    + "); set it under agent.identity to give it statically", e);
        }
    }

    private Ec2Client ec2() {
        if (ec2 == null) {
            ec2 = AwsClients.build(Ec2Client.builder(), region, endpoint);
        }
        return ec2;
    }

    @Override
    public List<Identity.NetworkInterface> networkInterfaces(String instanceId) throws IOException {
        try {
            return ec2().describeNetworkInterfacesPaginator(r -> r.filters(
                            Filter.builder().name("attachment.instance-id").values(instanceId).build()))
                    .networkInterfaces().stream()
                    .map(n -> {
                        NetworkInterfaceAssociation a = n.association();
                        int index = n.attachment() == null || n.attachment().deviceIndex() == null
                                ? Integer.MAX_VALUE : n.attachment().deviceIndex();
                        return new Identity.NetworkInterface(index,
                                Optional.ofNullable(a == null ? null : a.carrierIp()),
                                Optional.ofNullable(a == null ? null : a.publicIp()));
                    }).toList();
        } catch (SdkException e) {
            throw new IOException("EC2 DescribeNetworkInterfaces for " + instanceId + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<String> networkBorderGroup(String zone) throws IOException {
        try {
            return ec2().describeAvailabilityZones(r -> r.zoneNames(zone).allAvailabilityZones(true))
                    .availabilityZones().stream().filter(z -> zone.equals(z.zoneName()))
                    .map(AvailabilityZone::networkBorderGroup).filter(g -> g != null && !g.isEmpty()).findFirst();
        } catch (SdkException e) {
            throw new IOException("EC2 DescribeAvailabilityZones for " + zone + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (imds != null) {
            imds.close();
        }
        if (ec2 != null) {
            ec2.close();
        }
    }
}
