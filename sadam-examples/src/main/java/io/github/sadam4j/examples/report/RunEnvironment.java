package io.github.sadam4j.examples.report;

import io.github.sadam4j.onednn.OneDnn;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * Where a command ran, for its record ({@code results.json}'s {@code environment}, {@code settings.txt}) and the one
 * line under a summary's title: Java, cores, the ND4J build, and everything measured to change the float rounding of
 * a training step, so that two records tell whether their digits may be compared (docs/results.md,
 * "Reproducibility"): the CPU model and its ISA flags, the ISA oneDNN dispatches to (by oneDNN's rule,
 * {@link CpuFeatures#oneDnnIsa}), {@code DNNL_MAX_CPU_ISA}, {@code OPENBLAS_CORETYPE}, ND4J's thread counts (operations,
 * master, OpenMP, BLAS), the command's {@code --threads} and S-Adam's probe threads, and DL4J's layer helpers.
 */
public final class RunEnvironment {
    /** The environment variables recorded as they are (or "unset"). */
    private static final String[] VARIABLES = {CpuFeatures.MAX_ISA_VARIABLE, CpuFeatures.ISA_HINTS_VARIABLE,
        "OPENBLAS_CORETYPE", "OMP_NUM_THREADS"};

    /** The fields that decide the digits of a training step (those that {@link #differences} compares). */
    public static final List<String> DIGIT_FIELDS = List.of("cpu", "cpu_isa_flags", "native_build", "onednn_isa",
            CpuFeatures.MAX_ISA_VARIABLE, CpuFeatures.ISA_HINTS_VARIABLE, "OPENBLAS_CORETYPE", "OMP_NUM_THREADS",
            "dl4j_helpers", "nd4j_threads", "nd4j_master_threads", "omp_threads", "blas_threads", "threads",
            "probe_threads");

    private RunEnvironment() {
    }

    /**
     * The environment of this JVM now (call it after the command has set ND4J's threads).
     *
     * @param threads      the command's {@code --threads}, as it reads ("1", "0 (ND4J's default)"), or what the
     *                     command does without one ("ND4J's default")
     * @param probeThreads S-Adam's probe threads as the command configures them ("1", "automatic", "none")
     * @return the fields, in a stable order
     */
    public static Map<String, Object> current(String threads, String probeThreads) {
        Map<String, Object> m = new LinkedHashMap<>();
        OneDnn.Status dnn = OneDnn.status();
        CpuFeatures cpu = CpuFeatures.current();
        Map<String, String> env = System.getenv();
        m.put("java", System.getProperty("java.version"));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("cpu", cpu.model());
        m.put("cpu_isa_flags", cpu.isaFlags());
        m.put("nd4j_backend", Nd4j.getBackend().getClass().getSimpleName());
        m.put("native_build", dnn.nativeBuild());
        m.put("onednn_isa", dnn.buildHasOneDnn() ? cpu.oneDnnIsa(env) + " (by oneDNN's dispatch rule: the best ISA "
                + "the CPU supports, capped by " + CpuFeatures.MAX_ISA_VARIABLE + ")"
                : "none (no oneDNN in this native build)");
        for (String variable : VARIABLES) {
            m.put(variable, env.getOrDefault(variable, "unset"));
        }
        m.put("dl4j_helpers", dnn.helpersEnabled() ? "on" : "off");
        m.put("convolutions", dnn.active() ? "oneDNN" : "DL4J built-in (im2col + gemm)");
        m.put("nd4j_threads", Nd4j.getEnvironment().maxThreads());
        m.put("nd4j_master_threads", Nd4j.getEnvironment().maxMasterThreads());
        m.put("omp_threads", ompThreads());
        m.put("blas_threads", Nd4j.factory().blas().getMaxThreads());
        m.put("threads", threads);
        m.put("probe_threads", probeThreads);
        m.put("sadam4j", RunEnvironment.class.getPackage().getImplementationVersion() == null ? "development build"
                : RunEnvironment.class.getPackage().getImplementationVersion());
        return m;
    }

    private static Object ompThreads() {
        try {
            return NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads();
        } catch (RuntimeException | LinkageError e) {
            return "unknown (" + e + ")";
        }
    }

    /**
     * The one line a summary shows under its title: what decides the digits, so that a reader can tell whether two
     * summaries' numbers may be compared to the digit.
     *
     * @param environment a record's environment ({@link #current}), possibly from an older version without some
     *                    fields
     * @return e.g. "Machine: AMD EPYC, 2 cores (ISA flags: ...); oneDNN ISA Intel AVX2; DNNL_MAX_CPU_ISA unset; ..."
     */
    public static String summaryLine(Map<String, ?> environment) {
        StringBuilder sb = new StringBuilder("Machine: ");
        sb.append(field(environment, "cpu")).append(", ").append(field(environment, "cores")).append(" cores (")
                .append(field(environment, "cpu_isa_flags")).append("); oneDNN ISA ")
                .append(field(environment, "onednn_isa").replaceFirst(" \\(by oneDNN's dispatch rule.*", ""));
        for (String variable : VARIABLES) {
            sb.append("; ").append(variable).append(' ').append(field(environment, variable));
        }
        sb.append("; ND4J threads ").append(field(environment, "nd4j_threads")).append(" (master ")
                .append(field(environment, "nd4j_master_threads")).append(", OpenMP ")
                .append(field(environment, "omp_threads")).append(", BLAS ").append(field(environment, "blas_threads"))
                .append("); --threads ").append(field(environment, "threads")).append("; probe threads ")
                .append(field(environment, "probe_threads")).append("; DL4J helpers ")
                .append(field(environment, "dl4j_helpers"))
                .append(". Same-seed runs repeat to the digit only where all of these are equal "
                        + "(docs/results.md, \"Reproducibility\").");
        return sb.toString();
    }

    /**
     * @param environment an environment ({@link #current})
     * @return its fields as {@code settings.txt} lines ({@code key=value}) under the heading {@code # environment}
     */
    public static String settingsLines(Map<String, ?> environment) {
        StringBuilder sb = new StringBuilder("# environment\n");
        environment.forEach((k, v) -> sb.append(k).append('=').append(v == null ? "" : v).append('\n'));
        return sb.toString();
    }

    /**
     * @param a one record's environment
     * @param b another's
     * @return "field: a-value vs b-value" for every {@link #DIGIT_FIELDS digit-deciding field} in which they differ
     *         (a field one of them did not record counts as different: older records lack the newer fields)
     */
    public static List<String> differences(Map<String, ?> a, Map<String, ?> b) {
        List<String> out = new ArrayList<>();
        for (String key : DIGIT_FIELDS) {
            Object x = a.get(key);
            Object y = b.get(key);
            if (!Objects.equals(x == null ? null : String.valueOf(x), y == null ? null : String.valueOf(y))) {
                out.add(key + ": " + field(a, key) + " vs " + field(b, key));
            }
        }
        return out;
    }

    private static String field(Map<String, ?> environment, String key) {
        Object v = environment.get(key);
        return v == null ? "not recorded" : String.valueOf(v);
    }
}
