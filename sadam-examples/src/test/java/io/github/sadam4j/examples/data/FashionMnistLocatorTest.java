package io.github.sadam4j.examples.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FashionMnistLocatorTest {
    @TempDir
    Path tmp;

    private final TinyDataset dataset = new TinyDataset(30, 20, 28, 11);
    private Path flagDir;
    private Path envDir;
    private Path debianDir;
    private Path cacheDir;
    private final Map<String, String> env = new HashMap<>();
    private final List<URI> fetched = new ArrayList<>();
    private final Fetcher failingFetcher = (uri, target) -> {
        fetched.add(uri);
        throw new ConnectException("Network is unreachable (test)");
    };

    @BeforeEach
    void dirs() throws IOException {
        flagDir = Files.createDirectories(tmp.resolve("flag"));
        envDir = Files.createDirectories(tmp.resolve("env"));
        debianDir = Files.createDirectories(tmp.resolve("debian"));
        cacheDir = tmp.resolve("cache").resolve("sadam4j").resolve("fashion-mnist");
    }

    private FashionMnistLocator.Builder locator() {
        return FashionMnistLocator.builder().environment(env).debianDir(debianDir).cacheDir(cacheDir)
                .checksums(dataset.checksums()).fetcher(failingFetcher)
                .mirror(URI.create("http://mirror.invalid/fashion"));
    }

    @Test
    void flagBeatsEnvironmentBeatsDebianBeatsCache() throws IOException {
        dataset.writeTo(flagDir, true);
        dataset.writeTo(envDir, true);
        dataset.writeTo(debianDir, true);
        dataset.writeTo(Files.createDirectories(cacheDir), true);
        env.put("SADAM_DATA", envDir.toString());

        FashionMnist a = locator().dataDir(flagDir).build().load(DatasetMode.AUTO);
        assertEquals(new DataSource(DataSource.Kind.FLAG, flagDir.toString()), a.source());
        assertEquals(30, a.train().count());
        assertEquals(20, a.test().count());
        assertEquals(DataSource.Kind.ENV, locator().build().load(DatasetMode.FULL).source().kind());
        env.clear();
        FashionMnist deb = locator().build().load(DatasetMode.FULL);
        assertEquals(new DataSource(DataSource.Kind.DEBIAN, debianDir.toString()), deb.source());
        assertTrue(deb.source().describe().contains("Debian package dataset-fashion-mnist"));
        deleteAll(debianDir);
        assertEquals(new DataSource(DataSource.Kind.CACHE, cacheDir.toString()),
                locator().build().load(DatasetMode.FULL).source());
        assertTrue(fetched.isEmpty(), "nothing downloaded while a local copy exists");
    }

    private static void deleteAll(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
    }

    @Test
    void loadedContentIsTheFilesContent() throws IOException {
        dataset.writeTo(debianDir, false); // uncompressed files count too
        FashionMnist ds = locator().build().load(DatasetMode.AUTO);
        assertArrayEquals(dataset.trainPixels, ds.train().pixelBytes());
        assertArrayEquals(dataset.testLabels, ds.test().labelBytes());
        assertEquals(28, ds.train().rows());
    }

    @Test
    void dataRootWithFashionMnistSubfolderIsAccepted() throws IOException {
        Path sub = Files.createDirectories(flagDir.resolve("fashion-mnist"));
        dataset.writeTo(sub, true);
        assertEquals(sub.toString(), locator().dataDir(flagDir).build().load(DatasetMode.AUTO).source().location());
        env.put("SADAM_DATA", flagDir.toString());
        assertEquals(new DataSource(DataSource.Kind.ENV, sub.toString()), locator().build().locateLocal());
    }

    @Test
    void flagWithoutDataIsAnErrorNotAFallback() throws IOException {
        dataset.writeTo(debianDir, true);
        DataNotFoundException e = assertThrows(DataNotFoundException.class,
                () -> locator().dataDir(envDir).build().load(DatasetMode.AUTO));
        assertTrue(e.getMessage().contains("--data " + envDir + " does not hold Fashion-MNIST"), e.getMessage());
        assertTrue(e.getMessage().contains("missing train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz"),
                e.getMessage());
    }

    @Test
    void environmentWithoutDataFallsThroughToTheNextLocation() throws IOException {
        dataset.writeTo(debianDir, true);
        env.put("SADAM_DATA", tmp.resolve("does-not-exist").toString());
        assertEquals(DataSource.Kind.DEBIAN, locator().build().load(DatasetMode.AUTO).source().kind());
    }

    @Test
    void incompleteFolderDoesNotCount() throws IOException {
        dataset.writeTo(debianDir, true);
        Files.delete(debianDir.resolve(FashionMnistFile.TEST_LABELS.gzName()));
        assertNull(locator().build().locateLocal());
    }

    @Test
    void autoWithoutAnyCopyUsesTheEmbeddedSubsetAndNeverDownloads() throws IOException {
        FashionMnist ds = locator().build().load(DatasetMode.AUTO);
        assertEquals(DataSource.Kind.EMBEDDED, ds.source().kind());
        assertFalse(ds.source().isFullDataset());
        assertEquals(EmbeddedSubset.TRAIN_SIZE, ds.train().count());
        assertTrue(fetched.isEmpty());
    }

    @Test
    void embeddedModeIgnoresLocalCopies() throws IOException {
        dataset.writeTo(debianDir, true);
        assertEquals(DataSource.Kind.EMBEDDED, locator().build().load(DatasetMode.EMBEDDED).source().kind());
    }

    @Test
    void offlineWithoutACopyNamesEveryOption() throws IOException {
        DataNotFoundException e = assertThrows(DataNotFoundException.class,
                () -> locator().build().load(DatasetMode.FULL));
        String m = e.getMessage();
        for (String expected : List.of("--data DIR", "SADAM_DATA", "sudo apt-get install dataset-fashion-mnist",
                debianDir.toString(), cacheDir.toString(), "http://mirror.invalid/fashion/", "--dataset full",
                "--dataset embedded", "train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
                "Network is unreachable (test)")) {
            assertTrue(m.contains(expected), "message should name '" + expected + "':\n" + m);
        }
        assertTrue(e.getCause() instanceof ConnectException);
        assertEquals(List.of(URI.create("http://mirror.invalid/fashion/train-images-idx3-ubyte.gz")), fetched,
                "the first failure stops the download");
        assertTrue(Files.exists(cacheDir));
        try (var files = Files.list(cacheDir)) {
            assertEquals(0, files.count(), "no partial file left in the cache");
        }
    }

    @Test
    void downloadErrorsWithoutMessagesAreStillDescribed() {
        java.net.ConnectException noMessage = new java.net.ConnectException();
        noMessage.initCause(new java.nio.channels.UnresolvedAddressException());
        assertEquals("ConnectException caused by UnresolvedAddressException; the host name could not be resolved: "
                + "no network or no DNS", FashionMnistLocator.describe(noMessage));
        assertEquals("IOException: HTTP 403 for x", FashionMnistLocator.describe(new IOException("HTTP 403 for x")));
    }

    @Test
    void defaultsNameTheRealLocations() {
        DataNotFoundException e = assertThrows(DataNotFoundException.class,
                () -> FashionMnistLocator.builder().dataDir(tmp.resolve("nothing")).build().load(DatasetMode.FULL));
        assertTrue(e.getMessage().contains("/usr/share/datasets/fashion-mnist"), e.getMessage());
        assertTrue(e.getMessage().contains("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"));
    }

    @Test
    void downloadWithInjectedFetcherFillsTheCacheAndVerifies() throws IOException {
        Path source = dataset.writeTo(Files.createDirectories(tmp.resolve("mirror")), true);
        Fetcher copy = (uri, target) -> {
            fetched.add(uri);
            String name = Path.of(uri.getPath()).getFileName().toString();
            Files.copy(source.resolve(name), target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        };
        FashionMnist ds = locator().fetcher(copy).build().load(DatasetMode.FULL);
        assertEquals(new DataSource(DataSource.Kind.DOWNLOAD, cacheDir.toString()), ds.source());
        assertEquals(4, fetched.size());
        assertArrayEquals(dataset.trainLabels, ds.train().labelBytes());
        assertTrue(FashionMnist.missingIn(cacheDir).isEmpty());
        // the next run finds the cache
        fetched.clear();
        assertEquals(DataSource.Kind.CACHE, locator().fetcher(copy).build().load(DatasetMode.FULL).source().kind());
        assertTrue(fetched.isEmpty());
    }

    @Test
    void downloadWithWrongContentIsRejectedAndNotKept() throws IOException {
        TinyDataset other = new TinyDataset(30, 20, 28, 99); // same shapes, other pixels
        Path source = other.writeTo(Files.createDirectories(tmp.resolve("evil")), true);
        Fetcher copy = (uri, target) -> Files.copy(source.resolve(Path.of(uri.getPath()).getFileName().toString()),
                target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        ChecksumMismatchException e = assertThrows(ChecksumMismatchException.class,
                () -> locator().fetcher(copy).build().load(DatasetMode.FULL));
        assertTrue(e.getMessage().contains("train-images-idx3-ubyte.gz"), e.getMessage());
        assertEquals(dataset.checksums().get(FashionMnistFile.TRAIN_IMAGES), e.expected());
        assertEquals(other.checksums().get(FashionMnistFile.TRAIN_IMAGES), e.actual());
        try (var files = Files.list(cacheDir)) {
            assertEquals(0, files.count(), "the bad file is deleted");
        }
    }

    @Test
    void localCopyWithWrongChecksumIsAnErrorNamingTheFile() throws IOException {
        new TinyDataset(30, 20, 28, 5).writeTo(debianDir, true);
        ChecksumMismatchException e = assertThrows(ChecksumMismatchException.class,
                () -> locator().build().load(DatasetMode.AUTO));
        assertTrue(e.getMessage().contains(debianDir.resolve("train-images-idx3-ubyte.gz").toString()),
                e.getMessage());
        assertTrue(e.getMessage().contains("apt-get install --reinstall dataset-fashion-mnist"), e.getMessage());
    }

    @Test
    void realChecksumsAreTheSpecValues() {
        assertEquals("c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
                FashionMnistFile.TRAIN_IMAGES.sha256());
        assertEquals("0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
                FashionMnistFile.TEST_LABELS.sha256());
    }

    @Test
    void xdgCacheHomeIsHonoured() {
        assertEquals(Path.of("/xdg/cache/sadam4j/fashion-mnist"),
                FashionMnistLocator.defaultCacheDir(Map.of("XDG_CACHE_HOME", "/xdg/cache")));
        Path home = Path.of(System.getProperty("user.home"), ".cache", "sadam4j", "fashion-mnist");
        assertEquals(home, FashionMnistLocator.defaultCacheDir(Map.of()));
        assertEquals(home, FashionMnistLocator.defaultCacheDir(Map.of("XDG_CACHE_HOME", "relative/path")),
                "the XDG spec says relative paths are invalid");
    }

    @Test
    void httpFetcherDownloadsFromALocalServerAndReportsHttpErrors() throws IOException {
        Path source = dataset.writeTo(Files.createDirectories(tmp.resolve("served")), true);
        AtomicInteger requests = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/fm/", exchange -> {
            requests.incrementAndGet();
            Path file = source.resolve(Path.of(exchange.getRequestURI().getPath()).getFileName().toString());
            if (Files.exists(file)) {
                byte[] body = Files.readAllBytes(file);
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream os = exchange.getResponseBody()) {
                    os.write(body);
                }
            } else {
                exchange.sendResponseHeaders(404, -1);
                exchange.close();
            }
        });
        server.start();
        try {
            URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/fm/");
            HttpFetcher http = new HttpFetcher(Duration.ofSeconds(5), Duration.ofSeconds(30));
            FashionMnist ds = locator().mirror(base).fetcher(http).build().load(DatasetMode.FULL);
            assertEquals(DataSource.Kind.DOWNLOAD, ds.source().kind());
            assertEquals(4, requests.get());
            assertArrayEquals(dataset.testPixels, ds.test().pixelBytes());

            Path target = tmp.resolve("missing.gz");
            IOException e = assertThrows(IOException.class,
                    () -> http.fetch(base.resolve("no-such-file.gz"), target));
            assertTrue(e.getMessage().contains("HTTP 404"), e.getMessage());
            assertFalse(Files.exists(target));
        } finally {
            server.stop(0);
        }
    }
}
