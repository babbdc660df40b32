package io.github.sadam4j.updater;

import java.util.Objects;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The {@link Estimator#LINEARIZED} estimator of one updater block: D_i = &lt;g, u_i&gt; over the block's gradient
 * slice, with unit directions u_i over the whole slice (k dot products, no forward pass).
 */
final class LinearizedEstimator {
    private final SAdam config;
    private DirectionSource directions;
    private INDArray buffer;

    LinearizedEstimator(SAdam config) {
        this.config = config;
        this.directions = new GaussianDirections(config.getSeed());
    }

    void setDirections(DirectionSource directions) {
        this.directions = Objects.requireNonNull(directions, "directions");
    }

    /** @return the estimate of this gradient slice at this iteration (group -1: the block's own) */
    LgiEstimate estimate(INDArray gradient, int iteration, int epoch) {
        long t0 = System.nanoTime();
        INDArray g = gradient.reshape(gradient.length());
        INDArray u = buffer(g);
        int k = config.getProbes();
        double[] d = new double[k];
        for (int i = 0; i < k; i++) {
            directions.fill(iteration, -1, i, u);
            double norm = u.norm2Number().doubleValue();
            d[i] = Nd4j.getBlasWrapper().dot(g, u) / (norm + 1e-12);
        }
        boolean finite = Lgi.allFinite(d);
        double rho = Lgi.rho(d, config.getLgiEpsilon(), config.getRhoCap());
        return new LgiEstimate(iteration, epoch, -1, Estimator.LINEARIZED, Double.NaN, d, rho,
                Lgi.alpha(rho, config.getLambda()), !finite, false, System.nanoTime() - t0, false);
    }

    private INDArray buffer(INDArray g) {
        if (buffer == null || buffer.length() != g.length() || buffer.dataType() != g.dataType()) {
            try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                buffer = Nd4j.createUninitializedDetached(g.dataType(), g.length());
            }
        }
        return buffer;
    }
}
