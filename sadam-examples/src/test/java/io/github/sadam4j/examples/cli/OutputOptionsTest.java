package io.github.sadam4j.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputOptionsTest {
    @TempDir
    Path tmp;

    @Test
    void defaultFoldersAreTimeStampedAndNeverReused() throws IOException {
        LocalDateTime t = LocalDateTime.of(2026, 5, 28, 13, 4, 5);
        Path first = OutputOptions.prepare(null, tmp, "toy", t);
        assertEquals(tmp.resolve("toy-20260528-130405").toAbsolutePath(), first);
        assertTrue(Files.isDirectory(first));
        assertEquals(tmp.resolve("toy-20260528-130405-2").toAbsolutePath(),
                OutputOptions.prepare(null, tmp, "toy", t));
    }

    @Test
    void requestedFolderIsCreatedOrReused() throws IOException {
        Path req = tmp.resolve("a/b");
        assertEquals(req.toAbsolutePath(), OutputOptions.prepare(req, tmp, "toy", LocalDateTime.now()));
        assertEquals(req.toAbsolutePath(), OutputOptions.prepare(req, tmp, "toy", LocalDateTime.now()));
        Path file = Files.writeString(tmp.resolve("file"), "x");
        assertThrows(IOException.class, () -> OutputOptions.prepare(file, tmp, "toy", LocalDateTime.now()));
    }
}
