package io.github.sadam4j.qat;

/**
 * A plain-Java scalar reference of the quantizer, written from the formulas in {@link QuantSpec} / docs/algorithm.md,
 * section "Quantizer"
 * (float32 arithmetic, one element at a time), used to check the vectorised ND4J implementation bit for bit.
 */
final class RefQuant {
    private RefQuant() {
    }

    /** Scale, reciprocal and zero point for one channel: {s, inv, z}. */
    static float[] params(QuantSpec spec, float lo, float hi) {
        int qmin = spec.qmin();
        int qmax = spec.qmax();
        float eps = 1.1920929e-07f;
        if (spec.isBinary()) {
            float s = Math.max(Math.max(Math.abs(lo), Math.abs(hi)), eps);
            return new float[]{s, 1f / s, 0};
        }
        if (spec.getScaleRule() instanceof PaperScale paper) {
            float a = Math.max(Math.abs(lo), Math.abs(hi));
            float inv = (float) paper.getConstant() / (a + 1e-5f);
            return new float[]{1f / inv, inv, 0};
        }
        float neg = Math.min(lo, 0f);
        float pos = Math.max(hi, 0f);
        if (spec.getScheme() == QuantScheme.SYMMETRIC) {
            float s = Math.max(Math.max(-neg, pos) / ((qmax - qmin) / 2f), eps);
            return new float[]{s, 1f / s, 0};
        }
        float s = Math.max((pos - neg) / (float) (qmax - qmin), eps);
        long z = qmin - (long) Math.rint(neg / s);
        z = Math.max(qmin, Math.min(qmax, z));
        return new float[]{s, 1f / s, z};
    }

    /** The integer code of x (before the -z): clamp(rint(x*inv or x/s) + z). */
    static float code(QuantSpec spec, float[] p, float x, boolean divide) {
        if (spec.isBinary()) {
            return x >= 0 ? 1f : -1f;
        }
        float t = divide ? x / p[0] : x * p[1];
        float r = (float) Math.rint(t) + p[2];
        return Math.max(spec.qmin(), Math.min(spec.qmax(), r));
    }

    static float fq(QuantSpec spec, float[] p, float x, boolean divide) {
        return (code(spec, p, x, divide) - p[2]) * p[0];
    }

    /** CLIPPED mask of x: 1 if the unclamped code is inside the grid. */
    static float mask(QuantSpec spec, float[] p, float x, boolean divide) {
        if (spec.getSte() == SteMode.IDENTITY) {
            return 1f;
        }
        if (spec.isBinary()) {
            return Math.abs(x) <= p[0] ? 1f : 0f;
        }
        float t = divide ? x / p[0] : x * p[1];
        float r = (float) Math.rint(t) + p[2];
        return (r >= spec.qmin() && r <= spec.qmax()) ? 1f : 0f;
    }
}
