package io.wavelb.config;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * The {@code check-config} command both CLIs offer: load each file, print {@code FILE: ok} or every
 * problem as {@code file:line:column: path: message}, and say how many there were.
 */
public final class ConfigCheck {

    /** Loads one file; only its problems matter here. */
    @FunctionalInterface
    public interface Loader {
        void load(Path file) throws ConfigException, IOException;
    }

    private ConfigCheck() {
    }

    /** @return how many problems were found (0: every file is valid) */
    public static int run(List<String> files, Loader loader, PrintStream out, PrintStream err) {
        int problems = 0;
        for (String f : files) {
            try {
                loader.load(Path.of(f));
                out.println(f + ": ok");
            } catch (ConfigException e) {
                for (Problem p : e.problems()) {
                    err.println(p.format());
                }
                problems += e.problems().size();
            } catch (NoSuchFileException e) {
                err.println(f + ": no such file");
                problems++;
            } catch (IOException e) {
                err.println(f + ": cannot read: " + e.getMessage());
                problems++;
            }
        }
        if (problems > 0) {
            err.println(problems + (problems == 1 ? " problem" : " problems") + " found");
        }
        return problems;
    }
}
