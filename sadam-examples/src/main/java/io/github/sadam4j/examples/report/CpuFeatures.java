package io.github.sadam4j.examples.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The CPU as the native kernels see it: its model, the instruction-set flags that decide which kernels run, and the
 * ISA that oneDNN 2.3 (inside ND4J 1.0.0-M2.1's {@code linux-x86_64-onednn} build) dispatches to. That last one cannot
 * be asked from Java; it follows oneDNN's own rule ({@code get_isa_info} in oneDNN 2.3's {@code cpu_isa_traits.cpp}):
 * the best ISA the CPU supports, capped by the environment variable {@code DNNL_MAX_CPU_ISA} (oneDNN 2.3 reads no
 * {@code ONEDNN_} names), with AMX only when that variable asks for it. The names are the ones oneDNN prints after
 * {@code isa:} with {@code DNNL_VERBOSE=1} (e.g. "Intel AVX2"). Same-seed runs repeat bit for bit only where this ISA,
 * OpenBLAS's kernel and the thread counts are the same (docs/results.md, "Reproducibility").
 *
 * @param model the CPU model ({@code model name} of {@code /proc/cpuinfo}), or a description of why it is unknown
 * @param flags the CPU's feature flags as {@code /proc/cpuinfo} names them (lower case); null when unknown
 */
public record CpuFeatures(String model, Set<String> flags) {
    /** The flags that decide native kernels (SIMD width, FMA, AVX-512 subsets, VNNI, bfloat16, AMX), in this order. */
    public static final List<String> ISA_FLAGS = List.of("sse4_1", "sse4_2", "avx", "avx2", "fma", "avx_vnni",
            "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "avx512_vnni", "avx512_bf16", "avx512er",
            "avx512pf", "avx512_4fmaps", "avx512_4vnniw", "amx_tile", "amx_int8", "amx_bf16");

    /** The environment variable that caps oneDNN 2.3's ISA. */
    public static final String MAX_ISA_VARIABLE = "DNNL_MAX_CPU_ISA";
    /** The environment variable of oneDNN 2.3's ISA hints ({@code PREFER_YMM}). */
    public static final String ISA_HINTS_VARIABLE = "DNNL_CPU_ISA_HINTS";

    /** @return the CPU of this machine ({@code /proc/cpuinfo} on Linux; elsewhere the model where the OS says it) */
    public static CpuFeatures current() {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (Files.isReadable(cpuinfo)) {
            try {
                return parse(Files.readString(cpuinfo));
            } catch (IOException | RuntimeException e) {
                return new CpuFeatures("unknown (" + cpuinfo + " unreadable: " + e.getMessage() + ")", null);
            }
        }
        String identifier = System.getenv("PROCESSOR_IDENTIFIER");   // Windows
        return new CpuFeatures(identifier != null ? identifier : "unknown (no /proc/cpuinfo; " +
                System.getProperty("os.arch") + ")", null);
    }

    /**
     * @param cpuinfo the text of a Linux {@code /proc/cpuinfo}
     * @return the first processor's model and flags
     */
    public static CpuFeatures parse(String cpuinfo) {
        String model = null;
        Set<String> flags = null;
        for (String line : cpuinfo.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = line.substring(0, colon).trim();
            String value = line.substring(colon + 1).trim();
            if (model == null && key.equals("model name")) {
                model = value;
            } else if (flags == null && key.equals("flags")) {
                flags = new LinkedHashSet<>(List.of(value.toLowerCase(Locale.ROOT).split("\\s+")));
            }
        }
        return new CpuFeatures(model != null ? model : "unknown (no model name in /proc/cpuinfo)", flags);
    }

    /** @return the {@link #ISA_FLAGS} this CPU has, space-separated, or "unknown" */
    public String isaFlags() {
        if (flags == null) {
            return "unknown";
        }
        return ISA_FLAGS.stream().filter(flags::contains).collect(Collectors.joining(" "));
    }

    /**
     * The ISA oneDNN 2.3 dispatches to on this CPU, by oneDNN's rule.
     *
     * @param environment the process environment ({@link #MAX_ISA_VARIABLE}, {@link #ISA_HINTS_VARIABLE})
     * @return oneDNN's name of it (as {@code DNNL_VERBOSE=1} prints after {@code isa:}), or "unknown" without flags
     */
    public String oneDnnIsa(Map<String, String> environment) {
        if (flags == null) {
            return "unknown";
        }
        Set<Bit> cap = cap(environment.get(MAX_ISA_VARIABLE));
        boolean preferYmm = "PREFER_YMM".equals(environment.get(ISA_HINTS_VARIABLE));
        for (Isa isa : Isa.values()) {
            if (cap.containsAll(isa.bits) && isa.flags.stream().allMatch(flags::contains)
                    && (isa != Isa.AVX512_CORE_BF16_YMM || preferYmm)) {
                return isa.description;
            }
        }
        return "Intel 64";
    }

    /** oneDNN's ISA levels as the sets of feature bits they are made of (oneDNN 2.3's {@code cpu_isa_t}). */
    private enum Bit { SSE41, AVX, AVX2, AVX_VNNI, AVX512_COMMON, AVX512_MIC, AVX512_MIC_4OPS, AVX512_CORE,
        AVX512_CORE_VNNI, AVX512_CORE_BF16, AMX_TILE, AMX_INT8, AMX_BF16 }

    /**
     * @param value {@code DNNL_MAX_CPU_ISA}, null when unset
     * @return the feature bits it allows: every bit but AMX's for unset, {@code ALL} or a value oneDNN does not know
     *         (oneDNN compares the exact, upper-case names)
     */
    static Set<Bit> cap(String value) {
        EnumSet<Bit> all = EnumSet.complementOf(EnumSet.of(Bit.AMX_TILE, Bit.AMX_INT8, Bit.AMX_BF16));
        if (value == null) {
            return all;
        }
        EnumSet<Bit> avx2 = EnumSet.of(Bit.SSE41, Bit.AVX, Bit.AVX2);
        EnumSet<Bit> core = union(avx2, Bit.AVX512_COMMON, Bit.AVX512_CORE);
        EnumSet<Bit> bf16 = union(core, Bit.AVX512_CORE_VNNI, Bit.AVX512_CORE_BF16);
        return switch (value) {
            case "SSE41" -> EnumSet.of(Bit.SSE41);
            case "AVX" -> EnumSet.of(Bit.SSE41, Bit.AVX);
            case "AVX2" -> avx2;
            case "AVX2_VNNI" -> union(avx2, Bit.AVX_VNNI);
            case "AVX512_MIC" -> union(avx2, Bit.AVX512_COMMON, Bit.AVX512_MIC);
            case "AVX512_MIC_4OPS" -> union(avx2, Bit.AVX512_COMMON, Bit.AVX512_MIC, Bit.AVX512_MIC_4OPS);
            case "AVX512_CORE" -> core;
            case "AVX512_CORE_VNNI" -> union(core, Bit.AVX512_CORE_VNNI);
            case "AVX512_CORE_BF16" -> bf16;
            case "AVX512_CORE_AMX" -> union(bf16, Bit.AMX_TILE, Bit.AMX_INT8, Bit.AMX_BF16);
            default -> all;   // "ALL" and names oneDNN 2.3 does not know
        };
    }

    private static EnumSet<Bit> union(EnumSet<Bit> base, Bit... more) {
        EnumSet<Bit> out = EnumSet.copyOf(base);
        out.addAll(List.of(more));
        return out;
    }

    /** oneDNN 2.3's ISAs in the order its {@code get_isa_info} tries them (best first). */
    private enum Isa {
        AVX512_CORE_AMX("Intel AVX-512 with Intel DL Boost and bfloat16 support and Intel AMX with bfloat16 and "
                + "8-bit integer support", bits(Bit.AVX512_CORE_BF16, Bit.AMX_TILE, Bit.AMX_INT8, Bit.AMX_BF16),
                "avx512_bf16", "amx_tile", "amx_int8", "amx_bf16"),
        AVX512_CORE_BF16_AMX_BF16("Intel AVX-512 with Intel DL Boost and bfloat16 support and Intel AMX with "
                + "bfloat16 support", bits(Bit.AVX512_CORE_BF16, Bit.AMX_TILE, Bit.AMX_BF16), "avx512_bf16",
                "amx_tile", "amx_bf16"),
        AVX512_CORE_BF16_AMX_INT8("Intel AVX-512 with Intel DL Boost and bfloat16 support and Intel AMX with 8-bit "
                + "integer support", bits(Bit.AVX512_CORE_BF16, Bit.AMX_TILE, Bit.AMX_INT8), "avx512_bf16",
                "amx_tile", "amx_int8"),
        AVX512_CORE_BF16_YMM("Intel AVX-512 with Intel DL Boost and bfloat16 support on Ymm/Zmm",
                bits(Bit.AVX512_CORE_BF16), "avx512_bf16"),
        AVX512_CORE_BF16("Intel AVX-512 with Intel DL Boost and bfloat16 support", bits(Bit.AVX512_CORE_BF16),
                "avx512_bf16"),
        AVX512_CORE_VNNI("Intel AVX-512 with Intel DL Boost", bits(Bit.AVX512_CORE_VNNI), "avx512_vnni"),
        AVX512_CORE("Intel AVX-512 with AVX512BW, AVX512VL, and AVX512DQ extensions", bits(Bit.AVX512_CORE)),
        AVX512_MIC_4OPS("Intel AVX-512 with AVX512_4FMAPS and AVX512_4VNNIW extensions",
                bits(Bit.AVX512_COMMON, Bit.AVX512_MIC, Bit.AVX512_MIC_4OPS), "avx512f", "avx512cd", "avx512er",
                "avx512pf", "avx512_4fmaps", "avx512_4vnniw"),
        AVX512_MIC("Intel AVX-512 with AVX512CD, AVX512ER, and AVX512PF extensions",
                bits(Bit.AVX512_COMMON, Bit.AVX512_MIC), "avx512f", "avx512cd", "avx512er", "avx512pf"),
        AVX512_COMMON("Intel AVX-512", bits(Bit.AVX512_COMMON), "avx512f"),
        AVX2("Intel AVX2", EnumSet.of(Bit.SSE41, Bit.AVX, Bit.AVX2), "avx2"),
        AVX("Intel AVX", EnumSet.of(Bit.SSE41, Bit.AVX), "avx"),
        SSE41("Intel SSE4.1", EnumSet.of(Bit.SSE41), "sse4_1");

        final String description;
        final Set<Bit> bits;
        final List<String> flags;

        Isa(String description, Set<Bit> bits, String... ownFlags) {
            this.description = description;
            this.bits = bits;
            List<String> required = new java.util.ArrayList<>(List.of(ownFlags));
            if (bits.contains(Bit.AVX512_CORE)) {   // the AVX-512 core levels need F, BW, VL and DQ
                required.addAll(List.of("avx512f", "avx512bw", "avx512vl", "avx512dq"));
            }
            if (bits.contains(Bit.AVX512_CORE_BF16)) {
                required.add("avx512_vnni");
            }
            this.flags = List.copyOf(required);
        }

        /** The bits of an AVX-512 level: AVX2's, the common AVX-512 bit, and the core levels up to the given one. */
        private static Set<Bit> bits(Bit... levels) {
            EnumSet<Bit> out = EnumSet.of(Bit.SSE41, Bit.AVX, Bit.AVX2, Bit.AVX512_COMMON);
            for (Bit b : levels) {
                out.add(b);
                switch (b) {
                    case AVX512_CORE_BF16 -> out.addAll(EnumSet.of(Bit.AVX512_CORE, Bit.AVX512_CORE_VNNI));
                    case AVX512_CORE_VNNI -> out.add(Bit.AVX512_CORE);
                    default -> { }
                }
            }
            return out;
        }
    }
}
