package io.github.sadam4j.examples.data;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds and loads Fashion-MNIST. The lookup chain, first match wins:
 * <ol>
 *   <li>{@code --data DIR} (the folder or its {@code fashion-mnist} subfolder); given but without the files: an
 *       error, never a silent fallback;</li>
 *   <li>{@code $SADAM_DATA} (same rule for subfolders; set but without the files: a warning, then the next step);</li>
 *   <li>{@code /usr/share/datasets/fashion-mnist}, the Debian package {@code dataset-fashion-mnist};</li>
 *   <li>the user cache {@code $XDG_CACHE_HOME/sadam4j/fashion-mnist} (default {@code ~/.cache/sadam4j/fashion-mnist});</li>
 *   <li>{@link DatasetMode#FULL} only: a download of the four {@code .gz} files from the official mirror into the user
 *       cache, each verified before it is kept.</li>
 * </ol>
 * A folder counts when it has all four files, gzip or uncompressed. Every file read is verified against the SHA-256
 * of its decompressed content ({@link FashionMnistFile}); a mismatch is an error naming the file. When the chain
 * finds nothing, {@link DatasetMode#AUTO} falls back to the {@link EmbeddedSubset} (with a warning) and
 * {@link DatasetMode#FULL} throws a {@link DataNotFoundException} that names every option.
 */
public final class FashionMnistLocator {
    private static final Logger LOG = LoggerFactory.getLogger(FashionMnistLocator.class);

    /** The environment variable naming a data folder. */
    public static final String ENV_VAR = "SADAM_DATA";
    /** The Debian package that ships Fashion-MNIST. */
    public static final String DEBIAN_PACKAGE = "dataset-fashion-mnist";
    /** Where the Debian package installs the files. */
    public static final Path DEBIAN_DIR = Paths.get("/usr/share/datasets/fashion-mnist");
    /** The official download mirror (Zalando's S3 website), as text. */
    public static final String OFFICIAL_MIRROR_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";
    /** The official download mirror. */
    public static final URI OFFICIAL_MIRROR = URI.create(OFFICIAL_MIRROR_URL);
    /** Subfolder of a data root that is also searched. */
    public static final String SUBFOLDER = "fashion-mnist";

    private final Path dataDir;
    private final Map<String, String> environment;
    private final Path debianDir;
    private final Path cacheDir;
    private final URI mirror;
    private final Fetcher fetcher;
    private final Map<FashionMnistFile, String> checksums;
    private final Flags flags;

    /**
     * How the command using a locator names its ways to get the data, for the messages that tell the user what to do
     * (keras-retrain has {@code --data fashion-mnist:DIR} and no {@code --dataset}).
     *
     * @param folder   the option naming a data folder, up to the folder: {@code "--data "} or
     *                 {@code "--data fashion-mnist:"}
     * @param download how to download the full dataset: {@code "run with --dataset full"}
     * @param embedded how to use the embedded subset: {@code "--dataset embedded"}
     */
    public record Flags(String folder, String download, String embedded) {
        /** The data options of qat, bench, data, parallel, spark ({@code DataOptions}). */
        public static final Flags DATA_OPTIONS = new Flags("--data ", "run with --dataset full", "--dataset embedded");
    }

    private FashionMnistLocator(Builder b) {
        this.dataDir = b.dataDir;
        this.environment = Map.copyOf(b.environment);
        this.debianDir = b.debianDir;
        this.cacheDir = b.cacheDir != null ? b.cacheDir : defaultCacheDir(environment);
        String m = b.mirror.toString();
        this.mirror = URI.create(m.endsWith("/") ? m : m + "/");
        this.fetcher = b.fetcher;
        this.checksums = new EnumMap<>(FashionMnistFile.class);
        this.checksums.putAll(b.checksums);
        this.flags = b.flags;
    }

    /** @return a builder with the real environment, the Debian folder, the official mirror and HTTP */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * @param env environment variables
     * @return {@code $XDG_CACHE_HOME/sadam4j/fashion-mnist} when that variable holds an absolute path, else
     *         {@code ~/.cache/sadam4j/fashion-mnist}
     */
    public static Path defaultCacheDir(Map<String, String> env) {
        String xdg = env.get("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() && Paths.get(xdg).isAbsolute()
                ? Paths.get(xdg)
                : Paths.get(System.getProperty("user.home"), ".cache");
        return base.resolve("sadam4j").resolve(SUBFOLDER);
    }

    /** @return the user cache folder this locator uses */
    public Path cacheDir() {
        return cacheDir;
    }

    /** @return the download mirror */
    public URI mirror() {
        return mirror;
    }

    /**
     * Loads Fashion-MNIST following the lookup chain.
     *
     * @param mode which dataset is wanted
     * @return the dataset; {@link FashionMnist#source()} says where it came from
     * @throws DataNotFoundException     if {@code --data} has no dataset, or ({@link DatasetMode#FULL}) nothing was
     *                                   found and the download failed
     * @throws ChecksumMismatchException if a file found or downloaded has the wrong content
     * @throws IOException               if a file is malformed or unreadable
     */
    public FashionMnist load(DatasetMode mode) throws IOException {
        Objects.requireNonNull(mode, "mode");
        if (mode == DatasetMode.EMBEDDED) {
            if (dataDir != null) {
                LOG.warn("--dataset embedded ignores {}{}", flags.folder(), dataDir);
            }
            return EmbeddedSubset.load();
        }
        List<String> report = new ArrayList<>();
        DataSource local = locateLocal(report);
        if (local != null) {
            return readLocal(local);
        }
        if (mode == DatasetMode.AUTO) {
            report.add("5. download: not attempted (to download: " + flags.download() + ")");
            LOG.warn("The full Fashion-MNIST was not found; using the embedded subset of {} training and {} test "
                            + "images, so results are NOT comparable with full-dataset runs.\n{}",
                    EmbeddedSubset.TRAIN_SIZE, EmbeddedSubset.TEST_SIZE, explain(report));
            return EmbeddedSubset.load();
        }
        try {
            download();
        } catch (ChecksumMismatchException e) {
            throw e;
        } catch (IOException e) {
            report.add("5. download from " + mirror + ": failed (" + describe(e) + ")");
            throw new DataNotFoundException("Fashion-MNIST was not found and could not be downloaded.\n"
                    + explain(report), e);
        }
        DataSource downloaded = new DataSource(DataSource.Kind.DOWNLOAD, cacheDir.toString());
        return FashionMnist.readDirectory(cacheDir, downloaded, checksums, hintFor(DataSource.Kind.CACHE));
    }

    /**
     * Walks the local part of the chain (flag, environment, Debian, cache) without reading any file.
     *
     * @return where the full dataset is, or null
     * @throws DataNotFoundException if {@code --data} was given but holds no dataset
     */
    public DataSource locateLocal() throws DataNotFoundException {
        return locateLocal(new ArrayList<>());
    }

    private DataSource locateLocal(List<String> report) throws DataNotFoundException {
        if (dataDir != null) {
            Path found = datasetFolder(dataDir);
            if (found == null) {
                report.add("1. " + flags.folder() + dataDir + ": " + missingDescription(dataDir));
                throw new DataNotFoundException(flags.folder() + dataDir + " does not hold Fashion-MNIST: "
                        + missingDescription(dataDir) + ".\n" + explain(report), null);
            }
            return new DataSource(DataSource.Kind.FLAG, found.toString());
        }
        report.add("1. " + flags.folder() + "DIR: not given");
        String env = environment.get(ENV_VAR);
        if (env == null || env.isBlank()) {
            report.add("2. $" + ENV_VAR + ": not set");
        } else {
            Path envDir = Paths.get(env);
            Path found = datasetFolder(envDir);
            if (found != null) {
                return new DataSource(DataSource.Kind.ENV, found.toString());
            }
            report.add("2. $" + ENV_VAR + "=" + env + ": " + missingDescription(envDir));
            LOG.warn("${}={} does not hold Fashion-MNIST ({}); continuing with the next location", ENV_VAR, env,
                    missingDescription(envDir));
        }
        if (FashionMnist.missingIn(debianDir).isEmpty()) {
            return new DataSource(DataSource.Kind.DEBIAN, debianDir.toString());
        }
        report.add("3. " + debianDir + " (Debian package " + DEBIAN_PACKAGE + "): " + missingDescription(debianDir));
        if (FashionMnist.missingIn(cacheDir).isEmpty()) {
            return new DataSource(DataSource.Kind.CACHE, cacheDir.toString());
        }
        report.add("4. user cache " + cacheDir + ": " + missingDescription(cacheDir));
        return null;
    }

    private static Path datasetFolder(Path root) {
        if (FashionMnist.missingIn(root).isEmpty()) {
            return root;
        }
        Path sub = root.resolve(SUBFOLDER);
        return FashionMnist.missingIn(sub).isEmpty() ? sub : null;
    }

    private static String missingDescription(Path dir) {
        if (!Files.isDirectory(dir)) {
            return "no such folder";
        }
        List<FashionMnistFile> missing = FashionMnist.missingIn(dir);
        return "missing " + missing.stream().map(FashionMnistFile::gzName).collect(Collectors.joining(", "));
    }

    private FashionMnist readLocal(DataSource source) throws IOException {
        LOG.info("Reading {}", source.describe());
        return FashionMnist.readDirectory(Paths.get(source.location()), source, checksums, hintFor(source.kind()));
    }

    private String hintFor(DataSource.Kind kind) {
        return switch (kind) {
            case DEBIAN -> "The installed package is damaged: sudo apt-get install --reinstall " + DEBIAN_PACKAGE + ".";
            case CACHE, DOWNLOAD -> "Delete the file from " + cacheDir + " and " + flags.download() + " to download "
                    + "it again, or copy the official file there.";
            default -> "The file is corrupt or not the official Fashion-MNIST: replace it with the official file "
                    + "from " + mirror + ".";
        };
    }

    /**
     * Downloads the files missing from the user cache, each to a temporary file that is verified (IDX structure and
     * SHA-256 of the decompressed content) before it is moved into place.
     *
     * @throws ChecksumMismatchException if a downloaded file has the wrong content (it is deleted)
     * @throws IOException               if a download fails
     */
    public void download() throws IOException {
        Files.createDirectories(cacheDir);
        for (FashionMnistFile f : FashionMnistFile.values()) {
            if (FashionMnist.fileIn(cacheDir, f) != null) {
                continue;
            }
            URI url = mirror.resolve(f.gzName());
            Path target = cacheDir.resolve(f.gzName());
            Path tmp = Files.createTempFile(cacheDir, f.gzName(), ".part");
            try {
                LOG.info("Downloading {} into {}", url, cacheDir);
                fetcher.fetch(url, tmp);
                IdxFile idx = IdxFile.read(tmp);
                FashionMnist.verify(url.toString(), idx, checksums.get(f),
                        "The download is corrupt or the mirror serves other data; nothing was kept. Try again, "
                                + "or use " + flags.folder() + "DIR with a verified copy.");
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /**
     * A one-line description of a download error: its class and the first message along the cause chain, else the
     * root cause's class (the JDK HTTP client's exceptions often have no message), plus a plain-words hint when the
     * host name could not be resolved.
     */
    static String describe(Throwable e) {
        String message = null;
        Throwable root = e;
        boolean unresolved = false;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (message == null && t.getMessage() != null && !t.getMessage().isBlank()) {
                message = t.getMessage();
            }
            unresolved |= t instanceof java.nio.channels.UnresolvedAddressException
                    || t instanceof java.net.UnknownHostException;
            root = t;
        }
        StringBuilder sb = new StringBuilder(e.getClass().getSimpleName());
        if (message != null) {
            sb.append(": ").append(message);
        } else if (root != e) {
            sb.append(" caused by ").append(root.getClass().getSimpleName());
        }
        if (unresolved) {
            sb.append("; the host name could not be resolved: no network or no DNS");
        }
        return sb.toString();
    }

    private String explain(List<String> report) {
        String files = java.util.Arrays.stream(FashionMnistFile.values()).map(FashionMnistFile::gzName)
                .collect(Collectors.joining(", "));
        return "Looked in:\n  " + String.join("\n  ", report) + "\n"
                + "Provide Fashion-MNIST in any of these ways (files: " + files + "; gzip or uncompressed):\n"
                + "  - pass " + flags.folder() + "DIR (DIR or DIR/" + SUBFOLDER + " holding the four files)\n"
                + "  - set the environment variable " + ENV_VAR + "=DIR\n"
                + "  - install the Debian package: sudo apt-get install " + DEBIAN_PACKAGE + " (files in "
                + debianDir + ")\n"
                + "  - copy the files into the user cache " + cacheDir + "\n"
                + "  - allow network access and " + flags.download() + ": it downloads them from " + mirror
                + " into the user cache, checking SHA-256\n"
                + "  - or train on the small embedded subset: " + flags.embedded();
    }

    /** Configures a {@link FashionMnistLocator}; every setting has the production default. */
    public static final class Builder {
        private Path dataDir;
        private Map<String, String> environment = System.getenv();
        private Path debianDir = DEBIAN_DIR;
        private Path cacheDir;
        private URI mirror = OFFICIAL_MIRROR;
        private Fetcher fetcher = new HttpFetcher();
        private Map<FashionMnistFile, String> checksums = FashionMnistFile.officialChecksums();
        private Flags flags = Flags.DATA_OPTIONS;

        private Builder() {
        }

        /**
         * @param dir the {@code --data} folder, or null when not given
         * @return this
         */
        public Builder dataDir(Path dir) {
            this.dataDir = dir;
            return this;
        }

        /**
         * @param env environment variables (for {@code SADAM_DATA} and {@code XDG_CACHE_HOME})
         * @return this
         */
        public Builder environment(Map<String, String> env) {
            this.environment = Objects.requireNonNull(env, "environment");
            return this;
        }

        /**
         * @param dir the Debian package's folder
         * @return this
         */
        public Builder debianDir(Path dir) {
            this.debianDir = Objects.requireNonNull(dir, "debianDir");
            return this;
        }

        /**
         * @param dir the user cache folder (default from {@link #defaultCacheDir})
         * @return this
         */
        public Builder cacheDir(Path dir) {
            this.cacheDir = dir;
            return this;
        }

        /**
         * @param uri the base URL of the mirror (the file names are appended)
         * @return this
         */
        public Builder mirror(URI uri) {
            this.mirror = Objects.requireNonNull(uri, "mirror");
            return this;
        }

        /**
         * @param f how files are downloaded
         * @return this
         */
        public Builder fetcher(Fetcher f) {
            this.fetcher = Objects.requireNonNull(f, "fetcher");
            return this;
        }

        /**
         * @param sums expected SHA-256 of the decompressed files (tests use their own small files)
         * @return this
         */
        public Builder checksums(Map<FashionMnistFile, String> sums) {
            this.checksums = Objects.requireNonNull(sums, "checksums");
            return this;
        }

        /**
         * @param value how the command names its ways to get the data, for the messages (default
         *              {@link Flags#DATA_OPTIONS})
         * @return this builder
         */
        public Builder flags(Flags value) {
            this.flags = Objects.requireNonNull(value, "flags");
            return this;
        }

        /** @return the locator */
        public FashionMnistLocator build() {
            return new FashionMnistLocator(this);
        }
    }
}
