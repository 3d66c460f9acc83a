package io.wavelb.agent.aws;

import java.net.URI;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.NetworkInterface;
import software.amazon.awssdk.services.ec2.model.NetworkInterfaceAssociation;

/**
 * The public address of an instance as EC2 knows it: in a Wavelength zone the Carrier IP of its
 * network interface's association ({@code CarrierIp}), elsewhere the public IP.
 */
public final class Ec2Addresses {

    private Ec2Addresses() {
    }

    public static Ec2Client client(String region, Optional<URI> endpoint) {
        var b = Ec2Client.builder().httpClient(UrlConnectionHttpClient.create()).region(Region.of(region));
        if (endpoint.isPresent()) {
            b.endpointOverride(endpoint.get())
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("wavelb", "wavelb")));
        } else {
            b.credentialsProvider(DefaultCredentialsProvider.builder().build());
        }
        return b.build();
    }

    /** The Carrier IP, else the public IP, of the instance's first interface that has either. */
    public static Optional<String> publicAddress(Ec2Client ec2, String instanceId) {
        for (NetworkInterface ni : ec2.describeNetworkInterfaces(r -> r.filters(
                Filter.builder().name("attachment.instance-id").values(instanceId).build())).networkInterfaces()) {
            NetworkInterfaceAssociation a = ni.association();
            if (a == null) {
                continue;
            }
            if (a.carrierIp() != null && !a.carrierIp().isEmpty()) {
                return Optional.of(a.carrierIp());
            }
            if (a.publicIp() != null && !a.publicIp().isEmpty()) {
                return Optional.of(a.publicIp());
            }
        }
        return Optional.empty();
    }

    /**
     * The zone's network border group, from DescribeAvailabilityZones (every zone type, opted in or
     * not): a Wavelength zone's group carries the zone's name, but a Local Zone's does not (zone
     * {@code us-west-2-lax-1a}, group {@code us-west-2-lax-1}) and a Region's own zones share the
     * Region's.
     */
    public static Optional<String> borderGroup(Ec2Client ec2, String zone) {
        return ec2.describeAvailabilityZones(r -> r.zoneNames(zone).allAvailabilityZones(true)).availabilityZones().stream()
                .filter(z -> zone.equals(z.zoneName())).map(z -> z.networkBorderGroup())
                .filter(g -> g != null && !g.isEmpty()).findFirst();
    }
}
