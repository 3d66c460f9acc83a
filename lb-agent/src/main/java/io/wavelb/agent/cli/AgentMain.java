package io.wavelb.agent.cli;

import io.wavelb.config.AgentConfigLoader;
import io.wavelb.config.ConfigCheck;
import java.io.PrintStream;
import java.util.List;

/**
 * The {@code wavelb-agent} command. Exit codes as the balancer's: 0 success, 1 runtime failure,
 * 2 invalid config or usage.
 */
public final class AgentMain {

    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;

    private static final String USAGE_TEXT = """
            Usage: wavelb-agent <command>

            Commands:
              run --config FILE      register in Cloud Map, publish the weighted A record, feed the
                                     balancer's targets; SIGTERM drains (weight 0, DNS wait, balancer
                                     drain, delete the record, deregister) and exits 0
              plan --config FILE     print the Route 53 changes and the targets it would push; change nothing
              reap --config FILE (--event FILE|- | --instance ID) [--record-name NAME]...
                                     remove a departed instance's record, marker (this cluster's
                                     only) and Cloud Map registration, from an EventBridge event
                                     (EC2 state change, Auto Scaling terminate) or an instance id
              check-config FILE...   validate the agent: section of each file; print every problem as
                                     file:line:column: path: message (exit 0 valid, 2 invalid)
              --help                 this text
              --version              the version
            """;

    private AgentMain() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            err.print(USAGE_TEXT);
            return USAGE;
        }
        return switch (args[0]) {
            case "--help", "-h", "help" -> {
                out.print(USAGE_TEXT);
                yield OK;
            }
            case "--version", "-V", "version" -> {
                String v = AgentMain.class.getPackage().getImplementationVersion();
                out.println("wavelb-agent " + (v == null ? "dev" : v));
                yield OK;
            }
            case "check-config" -> checkConfig(List.of(args).subList(1, args.length), out, err);
            case "run", "plan" -> AgentRun.command(args[0], List.of(args).subList(1, args.length), out, err);
            case "reap" -> ReapCommand.run(List.of(args).subList(1, args.length), System.in, out, err);
            default -> {
                err.println("wavelb-agent: unknown command '" + args[0] + "'");
                err.print(USAGE_TEXT);
                yield USAGE;
            }
        };
    }

    private static int checkConfig(List<String> files, PrintStream out, PrintStream err) {
        if (files.isEmpty()) {
            err.println("wavelb-agent check-config: name at least one config file");
            return USAGE;
        }
        return ConfigCheck.run(files, AgentConfigLoader::load, out, err) == 0 ? OK : USAGE;
    }
}
