package io.github.sadam4j.examples.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Inference throughput of several ways to run the same batches (ONNX Runtime, DL4J QAT, DL4J float), each on one
 * thread: every variant first runs {@code warmup} batches untimed, then the timed batches are interleaved (batch
 * {@code i} of every variant, the variants' order rotating from batch to batch), so that slow phases of a shared
 * machine hit all variants alike. A variant's figure is its images over the summed wall-clock time of its timed
 * batches ({@link System#nanoTime()} around each batch: from the input in memory to the output read back).
 */
final class Throughput {
    /**
     * One way to run a batch.
     *
     * @param name  e.g. {@code ONNX Runtime}
     * @param batch runs batch {@code i} of the inputs
     */
    record Variant(String name, IntConsumer batch) {
    }

    /**
     * One variant's figure.
     *
     * @param name    the variant
     * @param images  images timed
     * @param nanos   their summed time
     * @param batches batches timed
     */
    record Result(String name, long images, long nanos, int batches) {
        /** @return images per second */
        double imagesPerSecond() {
            return images / (nanos / 1e9);
        }
    }

    private Throughput() {
    }

    /**
     * @param variants  the variants (each runs the same inputs)
     * @param sizes     the batch sizes of the inputs, in order (batches are cycled)
     * @param warmup    untimed batches per variant, &gt;= 0
     * @param timed     timed batches per variant, &gt;= 1
     * @return one result per variant, in the order given
     */
    static List<Result> measure(List<Variant> variants, int[] sizes, int warmup, int timed) {
        if (variants.isEmpty() || sizes.length == 0 || warmup < 0 || timed < 1) {
            throw new IllegalArgumentException("variants and batches needed, warm-up >= 0, timed batches >= 1; got "
                    + variants.size() + ", " + sizes.length + ", " + warmup + ", " + timed);
        }
        for (Variant v : variants) {
            for (int i = 0; i < warmup; i++) {
                v.batch().accept(i % sizes.length);
            }
        }
        long[] nanos = new long[variants.size()];
        long[] images = new long[variants.size()];
        for (int i = 0; i < timed; i++) {
            int b = i % sizes.length;
            for (int k = 0; k < variants.size(); k++) {
                int v = (k + i) % variants.size();
                long t0 = System.nanoTime();
                variants.get(v).batch().accept(b);
                nanos[v] += System.nanoTime() - t0;
                images[v] += sizes[b];
            }
        }
        List<Result> out = new ArrayList<>();
        for (int v = 0; v < variants.size(); v++) {
            out.add(new Result(variants.get(v).name(), images[v], Math.max(1, nanos[v]), timed));
        }
        return out;
    }
}
