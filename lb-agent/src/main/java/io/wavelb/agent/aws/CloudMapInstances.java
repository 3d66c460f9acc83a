package io.wavelb.agent.aws;

import io.wavelb.agent.discovery.DiscoveredInstance;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.servicediscovery.ServiceDiscoveryClient;
import software.amazon.awssdk.services.servicediscovery.model.CustomHealthStatus;
import software.amazon.awssdk.services.servicediscovery.model.HealthStatusFilter;
import software.amazon.awssdk.services.servicediscovery.model.HttpInstanceSummary;
import software.amazon.awssdk.services.servicediscovery.model.NamespaceSummary;
import software.amazon.awssdk.services.servicediscovery.model.ServiceFilter;
import software.amazon.awssdk.services.servicediscovery.model.ServiceFilterName;
import software.amazon.awssdk.services.servicediscovery.model.ServiceSummary;

/**
 * The Cloud Map edge: registration, heartbeat (custom health), discovery and its revision, for one
 * service named by namespace and service name. SDK model objects stop here.
 */
public final class CloudMapInstances implements AutoCloseable {

    private final ServiceDiscoveryClient client;
    private final String namespace;
    private final String service;
    private volatile String serviceId;

    public CloudMapInstances(ServiceDiscoveryClient client, String namespace, String service) {
        this.client = client;
        this.namespace = namespace;
        this.service = service;
    }

    /**
     * One client for the process. With an endpoint override the SDK's host-prefix injection is
     * turned off: DiscoverInstances would otherwise go to {@code data-<host>}, which an emulator or
     * a private endpoint does not answer.
     */
    public static ServiceDiscoveryClient client(String region, Optional<URI> endpoint) {
        return AwsClients.build(ServiceDiscoveryClient.builder(), region, endpoint, true);
    }

    /** The service's id, looked up once by namespace and service name. */
    public String serviceId() {
        String id = serviceId;
        if (id != null) {
            return id;
        }
        String nsId = client.listNamespacesPaginator().stream().flatMap(page -> page.namespaces().stream()).filter(n -> n.name().equals(namespace))
                .map(NamespaceSummary::id).findFirst()
                .orElseThrow(() -> new IllegalStateException("Cloud Map namespace '" + namespace + "' not found"));
        id = client.listServicesPaginator(r -> r.filters(ServiceFilter.builder().name(ServiceFilterName.NAMESPACE_ID)
                        .values(nsId).build())).stream().flatMap(page -> page.services().stream())
                .filter(s -> s.name().equals(service)).map(ServiceSummary::id).findFirst()
                .orElseThrow(() -> new IllegalStateException("Cloud Map service '" + service + "' not found in '"
                        + namespace + "'"));
        serviceId = id;
        return id;
    }

    /**
     * Registers, or re-registers to update the attributes (AWS updates an existing InstanceId in
     * place). Where a re-registration was kept as a second copy instead (moto does this), the older
     * copies are removed — a deregistration removes the oldest — so exactly the newest remains and
     * a following health update applies to it. On AWS there is never a second copy to remove.
     */
    public void register(String instanceId, Map<String, String> attributes) {
        client.registerInstance(r -> r.serviceId(serviceId()).instanceId(instanceId).attributes(attributes)
                .creatorRequestId("wavelb-" + instanceId + "-" + System.nanoTime()));
        long copies = copies(instanceId);
        for (long extra = copies - 1; extra > 0; extra--) {
            client.deregisterInstance(r -> r.serviceId(serviceId()).instanceId(instanceId));
        }
    }

    private long copies(String instanceId) {
        return client.listInstancesPaginator(r -> r.serviceId(serviceId())).stream()
                .flatMap(p -> p.instances().stream()).filter(x -> x.id().equals(instanceId)).count();
    }

    /** Whether the instance is registered (ListInstances; the reaper's check before it deregisters). */
    public boolean isRegistered(String instanceId) {
        return copies(instanceId) > 0;
    }

    /** The heartbeat: custom health status, HEALTHY or UNHEALTHY. */
    public void heartbeat(String instanceId, boolean healthy) {
        client.updateInstanceCustomHealthStatus(r -> r.serviceId(serviceId()).instanceId(instanceId)
                .status(healthy ? CustomHealthStatus.HEALTHY : CustomHealthStatus.UNHEALTHY));
    }

    /**
     * Deregisters until the instance is gone: AWS needs one call; an emulator that kept every
     * re-registration as a copy needs one per copy (bounded).
     */
    public void deregister(String instanceId) {
        for (int i = 0; i < 100 && copies(instanceId) > 0; i++) {
            client.deregisterInstance(r -> r.serviceId(serviceId()).instanceId(instanceId));
        }
    }

    /** Every registered instance, healthy or not (for peer liveness, which reads heartbeats). */
    public List<DiscoveredInstance> discoverAll() {
        return client.discoverInstances(r -> r.namespaceName(namespace).serviceName(service)
                        .healthStatus(HealthStatusFilter.ALL).maxResults(1000))
                .instances().stream().map(CloudMapInstances::toInstance).toList();
    }

    /** Healthy instances of the service. */
    public List<DiscoveredInstance> discoverHealthy() {
        return client.discoverInstances(r -> r.namespaceName(namespace).serviceName(service)
                        .healthStatus(HealthStatusFilter.HEALTHY).maxResults(1000))
                .instances().stream().map(CloudMapInstances::toInstance).toList();
    }

    /** Changes whenever the service's instances change: poll this, discover only when it moved. */
    public long revision() {
        return client.discoverInstancesRevision(r -> r.namespaceName(namespace).serviceName(service)).instancesRevision();
    }

    private static DiscoveredInstance toInstance(HttpInstanceSummary s) {
        return new DiscoveredInstance(s.instanceId(), s.attributes());
    }

    @Override
    public void close() {
        client.close();
    }
}
