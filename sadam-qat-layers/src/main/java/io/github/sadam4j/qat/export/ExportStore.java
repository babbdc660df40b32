package io.github.sadam4j.qat.export;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/** Where an export lives: a directory, or a zip file with the same entries. */
interface ExportStore extends AutoCloseable {

    void write(String name, byte[] data) throws IOException;

    byte[] read(String name) throws IOException;

    @Override
    void close() throws IOException;

    static ExportStore forWriting(Path target) throws IOException {
        if (target.getFileName() != null && target.getFileName().toString().toLowerCase().endsWith(".zip")) {
            if (target.getParent() != null) {
                Files.createDirectories(target.getParent());
            }
            ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(target));
            return new ExportStore() {
                @Override
                public void write(String name, byte[] data) throws IOException {
                    zip.putNextEntry(new ZipEntry(name));
                    zip.write(data);
                    zip.closeEntry();
                }

                @Override
                public byte[] read(String name) {
                    throw new UnsupportedOperationException("write-only");
                }

                @Override
                public void close() throws IOException {
                    zip.close();
                }
            };
        }
        Files.createDirectories(target);
        return new ExportStore() {
            @Override
            public void write(String name, byte[] data) throws IOException {
                Path p = target.resolve(name);
                Files.createDirectories(p.getParent());
                try (OutputStream os = Files.newOutputStream(p)) {
                    os.write(data);
                }
            }

            @Override
            public byte[] read(String name) throws IOException {
                return Files.readAllBytes(target.resolve(name));
            }

            @Override
            public void close() {
            }
        };
    }

    static ExportStore forReading(Path source) throws IOException {
        if (Files.isDirectory(source)) {
            return new ExportStore() {
                @Override
                public void write(String name, byte[] data) {
                    throw new UnsupportedOperationException("read-only");
                }

                @Override
                public byte[] read(String name) throws IOException {
                    Path p = source.resolve(name).normalize();
                    if (!p.startsWith(source.normalize())) {
                        throw new IOException("entry outside the export directory: " + name);
                    }
                    return Files.readAllBytes(p);
                }

                @Override
                public void close() {
                }
            };
        }
        ZipFile zf = new ZipFile(source.toFile());
        return new ExportStore() {
            @Override
            public void write(String name, byte[] data) {
                throw new UnsupportedOperationException("read-only");
            }

            @Override
            public byte[] read(String name) throws IOException {
                ZipEntry e = zf.getEntry(name);
                if (e == null) {
                    throw new IOException("no entry '" + name + "' in " + source);
                }
                try (var in = zf.getInputStream(e)) {
                    return in.readAllBytes();
                }
            }

            @Override
            public void close() throws IOException {
                zf.close();
            }
        };
    }
}
