package io.github.sadam4j.examples.qat;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * The checkpoint of a {@code qat} run after each completed epoch, {@code checkpoints/<run>.zip} in the result folder,
 * from which {@code qat --resume} continues a run that a kill interrupted. It is a DL4J model zip
 * ({@link ModelSerializer}, with the updater state: Adam's and S-Adam's m and v) plus the run's state at that epoch
 * boundary: the finished epochs' results, the probe time, the learning rate (adamw-matched's lr x alpha) and the
 * training thread's ND4J random generator state (DL4J's dropout masks draw from it, so a resumed run continues with
 * the masks the uninterrupted run would have drawn). A completed run's checkpoint is its final network (restore it
 * with {@code ModelSerializer.restoreMultiLayerNetwork(file, true)}; re-attach S-Adam's probes before training on).
 *
 * <p>Written atomically: into a temporary file in the same folder, flushed to disk, then renamed over the previous
 * checkpoint, so a kill during the write leaves the previous checkpoint and a {@code .part} file that nothing reads.
 * Before a checkpoint is used every zip entry is read and CRC-checked and the run's state must match the run: a
 * truncated or foreign file is refused ({@link IOException} naming the file and the reason), never loaded.
 */
final class Checkpoints {
    /** The folder of the checkpoints inside a result folder. */
    static final String FOLDER = "checkpoints";
    /** The schema of the run's state inside a checkpoint. */
    static final String SCHEMA = "sadam4j-qat-checkpoint/1";
    /** The key of the run's state among the model zip's objects. */
    static final String STATE_KEY = "sadam4j-qat-run.json";
    private static final String PART = ".part";
    private static final ObjectMapper JSON = new ObjectMapper();

    private Checkpoints() {
    }

    /**
     * A run's state at the end of its last completed epoch.
     *
     * @param run          the run's name
     * @param learningRate its learning rate (adamw-matched: lr x alpha)
     * @param matchedAlpha adamw-matched's alpha, NaN for the others
     * @param epochs       the completed epochs' results, in order
     * @param probeSeconds the probe time so far
     * @param elapsedMs    the elapsed time of its last step
     * @param rngRoot      the training thread's ND4J random generator state: root
     * @param rngNode      the training thread's ND4J random generator state: node
     */
    record RunState(String run, double learningRate, double matchedAlpha, List<QatRun.EpochResult> epochs,
                    double probeSeconds, double elapsedMs, long rngRoot, long rngNode) {
        /** @return the number of completed epochs */
        int epochsDone() {
            return epochs.size();
        }
    }

    /**
     * A checkpoint read back and checked.
     *
     * @param net   the network with its updater state (no listeners: attach them)
     * @param state the run's state
     */
    record Restored(MultiLayerNetwork net, RunState state) {
    }

    /**
     * @param dir the result folder
     * @param run the run's name
     * @return its checkpoint file
     */
    static Path file(Path dir, String run) {
        return dir.resolve(FOLDER).resolve(run + ".zip");
    }

    /**
     * Writes the checkpoint of a run at the end of an epoch (atomically), on the run's training thread.
     *
     * @param dir       the result folder
     * @param run       the run, its finished epochs recorded
     * @param net       its network
     * @param elapsedMs the elapsed time of its last step
     * @throws IOException if writing fails (the previous checkpoint is then unchanged)
     */
    static void write(Path dir, QatRun run, MultiLayerNetwork net, double elapsedMs) throws IOException {
        Path target = file(dir, run.name());
        Files.createDirectories(target.getParent());
        Path tmp = target.resolveSibling(target.getFileName() + "." + ProcessHandle.current().pid() + "-"
                + System.nanoTime() + PART);
        try {
            ModelSerializer.writeModel(net, tmp.toFile(), true);
            ModelSerializer.addObjectToFile(tmp.toFile(), STATE_KEY, stateJson(run, elapsedMs));
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static String stateJson(QatRun run, double elapsedMs) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("schema", SCHEMA);
        m.put("run", run.name());
        m.put("lr", run.learningRate());
        m.put("matched_alpha", Double.isNaN(run.matchedAlpha()) ? null : run.matchedAlpha());
        List<Map<String, Object>> epochs = new ArrayList<>();
        for (QatRun.EpochResult e : run.epochs()) {
            Map<String, Object> em = new LinkedHashMap<>();
            em.put("epoch", e.epoch());
            em.put("test_accuracy", e.testAccuracy());
            em.put("train_loss", Double.isFinite(e.trainLoss()) ? e.trainLoss() : null);
            em.put("train_seconds", e.trainSeconds());
            em.put("eval_seconds", e.evalSeconds());
            epochs.add(em);
        }
        m.put("epochs", epochs);
        m.put("probe_seconds", run.probeSeconds());
        m.put("elapsed_ms", elapsedMs);
        m.put("rng_root", Nd4j.getRandom().rootState());
        m.put("rng_node", Nd4j.getRandom().nodeState());
        return JSON.writeValueAsString(m);
    }

    /**
     * Reads a run's checkpoint after checking it completely.
     *
     * @param file          the checkpoint
     * @param run           the run's name it must belong to
     * @param plannedEpochs the run's planned epochs
     * @return the network and the run's state
     * @throws IOException naming the file and what is wrong with it (missing, truncated, corrupt, another run's)
     */
    static Restored read(Path file, String run, int plannedEpochs) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + " does not exist");
        }
        verifyEntries(file);
        RunState state;
        try {
            state = parse(ModelSerializer.getObjectFromFile(file.toFile(), STATE_KEY));
        } catch (RuntimeException e) {
            throw new IOException(file + ": the run's state cannot be read (" + e.getMessage() + ")", e);
        }
        if (!state.run().equals(run)) {
            throw new IOException(file + " belongs to run " + state.run() + ", not " + run);
        }
        if (state.epochsDone() < 1 || state.epochsDone() > plannedEpochs) {
            throw new IOException(file + " holds " + state.epochsDone() + " epochs: allowed 1.." + plannedEpochs);
        }
        MultiLayerNetwork net;
        try {
            net = ModelSerializer.restoreMultiLayerNetwork(file.toFile(), true);
        } catch (IOException | RuntimeException e) {
            throw new IOException(file + ": the network cannot be restored (" + e.getMessage() + ")", e);
        }
        return new Restored(net, state);
    }

    /** Every entry readable with a matching CRC, and the model's and the run's entries present. */
    private static void verifyEntries(Path file) throws IOException {
        Set<String> names = new HashSet<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {   // a truncated file has no central directory
            zip.stream().map(ZipEntry::getName).forEach(names::add);
        } catch (IOException e) {
            throw new IOException(file + " is not a complete zip file (" + e.getMessage() + ")", e);
        }
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(file))) {
            byte[] buffer = new byte[1 << 16];
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                while (in.read(buffer) >= 0) {
                    // reading to the end checks the entry's CRC
                }
            }
        } catch (IOException e) {
            throw new IOException(file + " is corrupt (" + e.getMessage() + ")", e);
        }
        for (String required : List.of(ModelSerializer.CONFIGURATION_JSON, ModelSerializer.COEFFICIENTS_BIN,
                ModelSerializer.UPDATER_BIN)) {
            if (!names.contains(required)) {
                throw new IOException(file + " lacks " + required + ": not a checkpoint of this program");
            }
        }
        if (names.stream().noneMatch(n -> n.endsWith(STATE_KEY))) {
            throw new IOException(file + " lacks the run's state (" + STATE_KEY + "): not a checkpoint of this "
                    + "program");
        }
    }

    private static RunState parse(String json) throws IOException {
        JsonNode root = JSON.readTree(json);
        if (!SCHEMA.equals(root.path("schema").asText())) {
            throw new IOException("schema '" + root.path("schema").asText() + "' is invalid: allowed " + SCHEMA);
        }
        List<QatRun.EpochResult> epochs = new ArrayList<>();
        for (JsonNode e : root.path("epochs")) {
            epochs.add(new QatRun.EpochResult(e.path("epoch").asInt(), e.path("test_accuracy").asDouble(),
                    QatResults.number(e.get("train_loss")), e.path("train_seconds").asDouble(),
                    e.path("eval_seconds").asDouble()));
        }
        return new RunState(root.path("run").asText(), root.path("lr").asDouble(),
                QatResults.number(root.get("matched_alpha")), List.copyOf(epochs),
                root.path("probe_seconds").asDouble(), root.path("elapsed_ms").asDouble(),
                root.path("rng_root").asLong(), root.path("rng_node").asLong());
    }

    /** Puts the ND4J random generator state of a checkpoint back, on the thread that trains on. */
    static void restoreRandomState(RunState state) {
        Nd4j.getRandom().setStates(state.rngRoot(), state.rngNode());
    }

    /**
     * Deletes the temporary files a kill during a checkpoint write left behind.
     *
     * @param dir the result folder
     * @return how many were deleted
     * @throws IOException if the folder cannot be listed
     */
    static int deleteTemporaries(Path dir) throws IOException {
        Path folder = dir.resolve(FOLDER);
        if (!Files.isDirectory(folder)) {
            return 0;
        }
        int n = 0;
        try (DirectoryStream<Path> parts = Files.newDirectoryStream(folder, "*" + PART)) {
            for (Path p : parts) {
                Files.deleteIfExists(p);
                n++;
            }
        }
        return n;
    }
}
