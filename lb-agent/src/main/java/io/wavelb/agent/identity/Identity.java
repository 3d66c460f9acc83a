package io.wavelb.agent.identity;

import io.wavelb.config.AgentConfig;
import java.io.IOException;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Who this instance is: its id (the DNS SetIdentifier and Cloud Map InstanceId), zone, network
 * border group, private IP and public (Carrier) IP. Values set in the config win; only the missing
 * ones are looked up, through {@link Sources} (IMDSv2 and EC2 in production, fakes in tests), so an
 * edge site outside AWS that sets every key never touches either.
 */
public record Identity(String instanceId, String zone, String networkBorderGroup, String privateIp, String publicIp) {

    public Identity {
        Objects.requireNonNull(instanceId, "instanceId");
        Objects.requireNonNull(zone, "zone");
        Objects.requireNonNull(networkBorderGroup, "networkBorderGroup");
        Objects.requireNonNull(privateIp, "privateIp");
        Objects.requireNonNull(publicIp, "publicIp");
    }

    /** Where missing values come from. Each call is blocking I/O; each is made at most once. */
    public interface Sources {
        /** An IMDS meta-data path such as {@code instance-id}, IMDSv2 (token first). */
        String metadata(String path) throws IOException;

        /** The network interfaces attached to {@code instanceId}, as EC2 describes them. */
        List<NetworkInterface> networkInterfaces(String instanceId) throws IOException;

        /** The network border group of {@code zone} (a Wavelength zone's own name; the region for a regular AZ). */
        Optional<String> networkBorderGroup(String zone) throws IOException;
    }

    /**
     * One ENI's addresses: a Wavelength ENI's association carries a {@code carrierIp}; a regular
     * one a {@code publicIp}; either may be absent.
     */
    public record NetworkInterface(int deviceIndex, Optional<String> carrierIp, Optional<String> publicIp) {
    }

    public static Identity resolve(AgentConfig.Identity configured, Sources sources) throws IOException {
        String id = configured.instanceId().isPresent() ? configured.instanceId().get() : sources.metadata("instance-id");
        String zone = configured.zone().isPresent() ? configured.zone().get()
                : sources.metadata("placement/availability-zone");
        String nbg = configured.networkBorderGroup().isPresent() ? configured.networkBorderGroup().get()
                : sources.networkBorderGroup(zone).orElse(zone);
        String privateIp = configured.privateIp().isPresent() ? configured.privateIp().get() : sources.metadata("local-ipv4");
        String publicIp = configured.publicIp().isPresent() ? configured.publicIp().get()
                : publicAddress(sources.networkInterfaces(id)).orElseThrow(() -> new IOException("instance " + id
                        + " has no Carrier IP and no public IP on its network interfaces (set agent.identity.public_ip)"));
        return new Identity(id, zone, nbg, privateIp, publicIp);
    }

    /**
     * The address clients reach: the Carrier IP of the lowest-index interface that has one (the
     * issue's rule: the Carrier Gateway NATs it to the ENI), else the first public IP. IMDS does not
     * report Carrier IPs, which is why EC2 is asked at all.
     */
    public static Optional<String> publicAddress(List<NetworkInterface> interfaces) {
        List<NetworkInterface> ordered = interfaces.stream()
                .sorted(Comparator.comparingInt(NetworkInterface::deviceIndex)).toList();
        return ordered.stream().map(NetworkInterface::carrierIp).flatMap(Optional::stream).findFirst()
                .or(() -> ordered.stream().map(NetworkInterface::publicIp).flatMap(Optional::stream).findFirst());
    }
}
