package io.wavelb.agent.cli;

import io.wavelb.agent.aws.CloudMapInstances;
import io.wavelb.agent.aws.Route53Records;
import io.wavelb.agent.reaper.ReapEvent;
import io.wavelb.agent.reaper.Reaper;
import io.wavelb.config.AgentConfig;
import io.wavelb.config.AgentConfigLoader;
import io.wavelb.config.ConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.services.route53.Route53Client;
import software.amazon.awssdk.services.servicediscovery.ServiceDiscoveryClient;

/**
 * {@code wavelb-agent reap --config FILE (--event FILE|- | --instance ID) [--record-name NAME]...}:
 * the Lambda reaper's work from the command line, with the agent's config for the cluster, zone,
 * record name and Cloud Map service. Prints what it did as JSON.
 */
final class ReapCommand {

    static final String USAGE = "usage: wavelb-agent reap --config FILE (--event FILE|- | --instance ID) [--record-name NAME]...";

    private ReapCommand() {
    }

    static int run(List<String> args, InputStream in, PrintStream out, PrintStream err) {
        String config = null;
        String event = null;
        String instance = null;
        List<String> names = new java.util.ArrayList<>();
        for (int i = 0; i + 1 < args.size(); i += 2) {
            switch (args.get(i)) {
                case "--config" -> config = args.get(i + 1);
                case "--event" -> event = args.get(i + 1);
                case "--instance" -> instance = args.get(i + 1);
                case "--record-name" -> names.add(args.get(i + 1));
                default -> {
                    err.println("wavelb-agent reap: unknown option '" + args.get(i) + "'");
                    err.println(USAGE);
                    return AgentMain.USAGE;
                }
            }
        }
        if (args.size() % 2 != 0 || config == null || (event == null) == (instance == null)) {
            err.println(USAGE);
            return AgentMain.USAGE;
        }
        AgentConfig c;
        ReapEvent what;
        try {
            c = AgentConfigLoader.load(Path.of(config));
            what = instance != null ? new ReapEvent.Reap(instance, "command line")
                    : ReapEvent.parse(event.equals("-") ? new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    : Files.readString(Path.of(event)));
        } catch (ConfigException e) {
            e.problems().forEach(p -> err.println(p.format()));
            return AgentMain.USAGE;
        } catch (IOException e) {
            err.println("wavelb-agent reap: " + e.getMessage());
            return AgentMain.USAGE;
        }
        if (names.isEmpty()) {
            names.add(c.dns().recordName());
        }
        try (Route53Client r53 = Route53Records.client(c.aws().region(), c.aws().endpoint());
             ServiceDiscoveryClient sd = CloudMapInstances.client(c.aws().region(), c.aws().endpoint())) {
            Reaper reaper = new Reaper(c.clusterId(), names, new Route53Records(r53, c.dns().hostedZoneId()),
                    new CloudMapInstances(sd, c.cloudMap().namespace(), c.cloudMap().service()));
            Optional<Reaper.Outcome> o = reaper.handle(what);
            if (o.isEmpty() && what instanceof ReapEvent.Ignore ignore) {
                out.println("{\"reaped\":null,\"why\":\"" + ignore.why().replace("\"", "'") + "\"}");
            } else {
                o.ifPresent(x -> out.println(x.json()));
            }
            return AgentMain.OK;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return AgentMain.FAILED;
        } catch (RuntimeException e) {
            err.println("wavelb-agent reap: " + e);
            return AgentMain.FAILED;
        }
    }
}
