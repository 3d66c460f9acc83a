package io.wavelb.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

class LoggingTest {

    @Test
    void aWarningWithAThrowableSaysWhatWasThrownAndWhereOnOneLine() {
        Throwable cause = new ClassNotFoundException("io.wavelb.Missing");
        Throwable thrown = new NoClassDefFoundError("io/wavelb/Missing");
        thrown.initCause(cause);
        String line = Logging.oneLine(thrown);
        assertThat(line).startsWith("java.lang.NoClassDefFoundError: io/wavelb/Missing at io.wavelb.core.cli.LoggingTest.")
                .contains(" <- java.lang.ClassNotFoundException: io.wavelb.Missing at ")
                .doesNotContain("\n");
    }

    @Test
    void theFormatterKeepsWarningsToOneLineAndGivesErrorsTheirStack() {
        PrintStream saved = System.err;
        Logger root = Logger.getLogger("");
        var handlers = root.getHandlers();
        Level level = root.getLevel();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // ConsoleHandler binds System.err when it is made: replace it first.
        System.setErr(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            Logging.configure(Level.INFO);
            Logger log = Logger.getLogger("io.wavelb.test");
            log.log(Level.WARNING, "Unexpected exception from an event executor: ", new IllegalStateException("boom"));
            log.log(Level.SEVERE, "fatal", new IllegalStateException("bang"));
            for (var h : Logger.getLogger("").getHandlers()) {
                h.flush();
            }
        } finally {
            System.setErr(saved);
            for (var h : root.getHandlers()) {
                root.removeHandler(h);
            }
            for (var h : handlers) {
                root.addHandler(h);
            }
            root.setLevel(level);
        }
        String[] lines = out.toString(StandardCharsets.UTF_8).split("\\R");
        assertThat(lines[0]).contains("WARN  Unexpected exception from an event executor:  java.lang.IllegalStateException: boom at ");
        assertThat(lines[1]).endsWith("ERROR fatal");
        assertThat(lines[2]).isEqualTo("java.lang.IllegalStateException: bang");
        assertThat(lines[3]).startsWith("\tat io.wavelb.core.cli.LoggingTest.");
    }
}
