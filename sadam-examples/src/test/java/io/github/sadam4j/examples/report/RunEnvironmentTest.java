package io.github.sadam4j.examples.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.examples.CliProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * What a record says about the machine (issue 16: same-seed numbers differ between machines): the CPU and its ISA
 * flags, the ISA oneDNN dispatches to by oneDNN's rule (checked against oneDNN's own {@code DNNL_VERBOSE} report in a
 * child JVM, so on whatever CPU the tests run), the variables and thread counts that change the rounding.
 */
class RunEnvironmentTest {
    private static final String ZEN3 = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\n"
            + "flags\t\t: fpu sse sse2 ssse3 fma sse4_1 sse4_2 avx f16c avx2 bmi2 sha_ni vaes\n\nprocessor\t: 1\n"
            + "model name\t: AMD EPYC\nflags\t\t: fpu sse\n";
    private static final String SKYLAKE_SP = "model name\t: Intel(R) Xeon(R) Platinum 8175M CPU @ 2.50GHz\n"
            + "flags\t\t: sse4_1 sse4_2 avx avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl\n";
    private static final String CASCADE_LAKE = "model name\t: Intel(R) Xeon(R) Processor\n"
            + "flags\t\t: sse4_1 sse4_2 avx avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl avx512_vnni\n";
    private static final String SAPPHIRE_RAPIDS = "model name\t: Intel(R) Xeon(R) Platinum 8480+\n"
            + "flags\t\t: sse4_1 avx avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl avx512_vnni avx512_bf16 "
            + "amx_bf16 amx_tile amx_int8 avx_vnni\n";

    @Test
    void theModelAndTheIsaFlagsComeFromCpuinfosFirstProcessor() {
        CpuFeatures cpu = CpuFeatures.parse(ZEN3);
        assertEquals("AMD EPYC", cpu.model());
        assertEquals("sse4_1 sse4_2 avx avx2 fma", cpu.isaFlags(), "the kernel-deciding flags, in a fixed order");
        assertEquals("unknown", new CpuFeatures("somewhere", null).isaFlags());
        assertEquals("unknown", new CpuFeatures("somewhere", null).oneDnnIsa(Map.of()));
    }

    @Test
    void oneDnnsRuleTheBestIsaTheCpuSupportsCappedByDnnlMaxCpuIsa() {
        assertEquals("Intel AVX2", isa(ZEN3, Map.of()));
        assertEquals("Intel AVX2", isa(ZEN3, Map.of("DNNL_MAX_CPU_ISA", "AVX512_CORE")), "a cap above the CPU");
        assertEquals("Intel AVX", isa(ZEN3, Map.of("DNNL_MAX_CPU_ISA", "AVX")));
        assertEquals("Intel SSE4.1", isa(ZEN3, Map.of("DNNL_MAX_CPU_ISA", "SSE41")));
        assertEquals("Intel AVX2", isa(ZEN3, Map.of("DNNL_MAX_CPU_ISA", "avx")), "oneDNN compares exact names");
        assertEquals("Intel AVX-512 with AVX512BW, AVX512VL, and AVX512DQ extensions", isa(SKYLAKE_SP, Map.of()));
        assertEquals("Intel AVX2", isa(SKYLAKE_SP, Map.of("DNNL_MAX_CPU_ISA", "AVX2_VNNI")));
        assertEquals("Intel AVX-512 with Intel DL Boost", isa(CASCADE_LAKE, Map.of()));
        assertEquals("Intel AVX-512 with AVX512BW, AVX512VL, and AVX512DQ extensions",
                isa(CASCADE_LAKE, Map.of("DNNL_MAX_CPU_ISA", "AVX512_CORE")));
        // AMX is off unless asked for (oneDNN 2.3: initial support)
        assertEquals("Intel AVX-512 with Intel DL Boost and bfloat16 support", isa(SAPPHIRE_RAPIDS, Map.of()));
        assertEquals("Intel AVX-512 with Intel DL Boost and bfloat16 support on Ymm/Zmm",
                isa(SAPPHIRE_RAPIDS, Map.of("DNNL_CPU_ISA_HINTS", "PREFER_YMM")));
        assertEquals("Intel AVX-512 with Intel DL Boost and bfloat16 support and Intel AMX with bfloat16 and 8-bit "
                + "integer support", isa(SAPPHIRE_RAPIDS, Map.of("DNNL_MAX_CPU_ISA", "AVX512_CORE_AMX")));
        assertEquals("Intel 64", isa("model name\t: old\nflags\t\t: sse sse2\n", Map.of()));
    }

    private static String isa(String cpuinfo, Map<String, String> env) {
        return CpuFeatures.parse(cpuinfo).oneDnnIsa(env);
    }

    @Test
    void theSummaryLineAndTheDifferencesNameWhatDecidesTheDigits() {
        Map<String, Object> here = RunEnvironment.current("1", "automatic");
        for (String key : RunEnvironment.DIGIT_FIELDS) {
            assertTrue(here.containsKey(key), key + " recorded: " + here);
        }
        String line = RunEnvironment.summaryLine(here);
        assertTrue(line.startsWith("Machine: " + here.get("cpu") + ", "), line);
        assertTrue(line.contains("--threads 1; probe threads automatic; DL4J helpers "), line);
        assertTrue(line.contains("ND4J threads " + here.get("nd4j_threads") + " (master "), line);
        assertFalse(line.contains("by oneDNN's dispatch rule"), "the line keeps the ISA's name only: " + line);
        assertTrue(RunEnvironment.summaryLine(Map.of()).startsWith("Machine: not recorded, not recorded cores"),
                "an old record without the fields");

        assertEquals(List.of(), RunEnvironment.differences(here, new LinkedHashMap<>(here)));
        Map<String, Object> other = new LinkedHashMap<>(here);
        other.put("onednn_isa", "Intel AVX-512 with AVX512BW, AVX512VL, and AVX512DQ extensions");
        other.put("threads", "2");
        other.put("java", "21");   // does not change the digits of a step
        assertEquals(List.of("onednn_isa: " + here.get("onednn_isa") + " vs Intel AVX-512 with AVX512BW, AVX512VL, "
                + "and AVX512DQ extensions", "threads: 1 vs 2"), RunEnvironment.differences(here, other));
        other.remove("cpu");
        assertTrue(RunEnvironment.differences(here, other).get(0).startsWith("cpu: "), "not recorded = different");
    }

    /**
     * The record's {@code onednn_isa} against what oneDNN itself prints with {@code DNNL_VERBOSE=1}, uncapped and
     * capped by {@code DNNL_MAX_CPU_ISA}: the rule must agree with oneDNN on the machine the tests run on.
     */
    @Test
    void theRecordedIsaIsTheOneOneDnnReports(@TempDir Path tmp) throws Exception {
        for (Map<String, String> env : List.of(Map.of("DNNL_VERBOSE", "1"),
                Map.of("DNNL_VERBOSE", "1", "DNNL_MAX_CPU_ISA", "AVX"))) {
            Path out = tmp.resolve("run-" + env.size());
            Path console = tmp.resolve("console-" + env.size() + ".txt");
            try (CliProcess qat = CliProcess.start(console, env, "qat", "--dataset", "embedded", "--train-limit",
                    "64", "--test-limit", "50", "--optimizers", "adamw", "--progress", "off", "--out",
                    out.toString())) {
                assertEquals(0, qat.await(300), qat.console());
                Matcher m = Pattern.compile("dnnl_verbose,info,cpu,isa:(.*)").matcher(qat.console());
                JsonNode environment = new ObjectMapper().readTree(out.resolve("results.json").toFile())
                        .path("environment");
                String recorded = environment.path("onednn_isa").asText();
                if (recorded.startsWith("none (no oneDNN in this native build)")) {   // a build without oneDNN
                    assertFalse(m.find(), "no oneDNN, no report of it: " + qat.console());
                    continue;
                }
                assertTrue(m.find(), "oneDNN reported its ISA: " + qat.console());
                assertEquals(m.group(1).trim(), recorded.replaceFirst(" \\(by oneDNN's dispatch rule.*", ""),
                        env + ": " + recorded);
                assertEquals(env.getOrDefault("DNNL_MAX_CPU_ISA", "unset"),
                        environment.path("DNNL_MAX_CPU_ISA").asText());
                assertTrue(Files.readString(out.resolve("settings.txt")).contains("\nonednn_isa=" + recorded + "\n"));
                assertTrue(Files.readString(out.resolve("summary.md")).contains("\nMachine: "
                        + environment.path("cpu").asText() + ", "));
            }
        }
    }
}
