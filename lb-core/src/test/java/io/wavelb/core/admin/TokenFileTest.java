package io.wavelb.core.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wavelb.core.testing.Commands;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The token file is a small regular file, or it is refused with the file and the reason named. */
@Timeout(30)
class TokenFileTest {

    @TempDir
    Path dir;

    @Test
    void aSmallRegularFileGivesItsTrimmedContent() throws Exception {
        Path t = dir.resolve("token");
        Files.writeString(t, "  s3cret\n");
        assertThat(new String(TokenFile.read(Optional.of(t)), StandardCharsets.UTF_8)).isEqualTo("s3cret");
        assertThat(TokenFile.read(Optional.empty())).isNull();
    }

    @Test
    void aDeviceIsRefusedBeforeItIsRead() {
        assertThatThrownBy(() -> TokenFile.read(Optional.of(Path.of("/dev/zero"))))
                .hasMessage("admin.token_file /dev/zero: not a regular file (a character device); the token must be in a "
                        + "regular file of at most 4096 bytes");
    }

    @Test
    void aFifoIsRefusedWithoutWaitingForAWriter() throws Exception {
        Path fifo = dir.resolve("fifo");
        Commands.check(List.of("mkfifo", fifo.toString()), 10);
        assertThatThrownBy(() -> TokenFile.read(Optional.of(fifo)))
                .hasMessageStartingWith("admin.token_file " + fifo + ": not a regular file (a FIFO");
    }

    @Test
    void aLargeFileADirectoryAMissingFileAndAnEmptyFileAreRefused() throws Exception {
        Path big = dir.resolve("big");
        Files.write(big, new byte[TokenFile.MAX_BYTES + 1]);
        assertThatThrownBy(() -> TokenFile.read(Optional.of(big)))
                .hasMessage("admin.token_file " + big + ": too large: 4097 bytes (a token file holds at most 4096 bytes)");
        assertThatThrownBy(() -> TokenFile.read(Optional.of(dir)))
                .hasMessageContaining("admin.token_file " + dir + ": not a regular file (a directory)");
        assertThatThrownBy(() -> TokenFile.read(Optional.of(dir.resolve("none"))))
                .hasMessage("admin.token_file " + dir.resolve("none") + ": cannot read: no such file");
        Path empty = dir.resolve("empty");
        Files.writeString(empty, " \n");
        assertThatThrownBy(() -> TokenFile.read(Optional.of(empty))).hasMessage("admin.token_file " + empty + ": is empty");
    }
}
