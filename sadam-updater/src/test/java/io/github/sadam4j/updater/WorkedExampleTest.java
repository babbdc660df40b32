package io.github.sadam4j.updater;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.TrainingConfig;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.regularization.WeightDecay;

/** The worked example of docs/algorithm.md, section "Worked example", in float64, to 1e-12. */
class WorkedExampleTest {
    static final double[] D = {2.7356718426987725, -2.0463507384884005};
    static final double VAR = 11.433869983492015;
    static final double MEAN_SQ = 5.83572588792346;
    static final double RHO = 1.959288054955662;
    static final double ALPHA = 0.019869366405617754;
    static final double[] A_AFTER = {0.3000168693601224, -0.19997813066501058};
    static final double[] B_AFTER = {0.0499796306356888};
    /** Gaussian draws before normalisation: probe -> [A(2) | B(1)]. */
    static final double[][] Z = {{0.5, -1.0, 2.0}, {-1.5, 0.25, -0.5}};
    static final double TOL = 1e-12;

    static double f(double[][] p) {
        return Math.abs(p[0][0] - 1) + 0.5 * p[0][1] * p[0][1] + 3 * Math.abs(p[1][0]);
    }

    static SAdam config() {
        return SAdam.builder().learningRate(1e-3).beta1(0.9).beta2(0.999).epsilon(1e-8).probes(2).sigma(0.01)
                .lambda(2).lgiEpsilon(1e-6).rhoCap(10).build();
    }

    @Test
    void rhoAndAlphaFromTheDValues() {
        assertEquals(RHO, Lgi.rawRho(D, 1e-6), TOL);
        assertEquals(RHO, Lgi.rho(D, 1e-6, 10), TOL);
        assertEquals(ALPHA, Lgi.alpha(RHO, 2), TOL);
        double mean = (D[0] + D[1]) / 2;
        assertEquals(VAR, (D[0] - mean) * (D[0] - mean) + (D[1] - mean) * (D[1] - mean), TOL);
        assertEquals(MEAN_SQ, (D[0] * D[0] + D[1] * D[1]) / 2, TOL);
    }

    @Test
    void referenceImplementationReproducesTheWorkedExample() {
        double[][] theta = {{0.3, -0.2}, {0.05}};
        ReferenceSAdam ref = new ReferenceSAdam(1e-3, 0.9, 0.999, 1e-8, 2, 0.01, 2, 1e-6, 10, 1e-2, theta);
        double[][][] z = {{{0.5, -1.0}, {2.0}}, {{-1.5, 0.25}, {-0.5}}};
        ref.step(theta, new double[][]{{-1, -0.2}, {3}}, WorkedExampleTest::f, z);
        assertArrayEquals(D, ref.lastD, TOL);
        assertEquals(RHO, ref.lastRho, TOL);
        assertEquals(ALPHA, ref.lastAlpha, TOL);
        assertArrayEquals(A_AFTER, theta[0], TOL);
        assertArrayEquals(B_AFTER, theta[1], TOL);
    }

    /** The DL4J updater with the probe's alpha and DL4J's WeightDecay(wd, applyLR=true), as DL4J applies them. */
    @Test
    void updaterStepWithWeightDecayMatchesTheWorkedExample() {
        SAdam conf = config();
        INDArray params = Nd4j.createFromArray(0.3, -0.2, 0.05);
        INDArray state = Nd4j.zeros(DataType.DOUBLE, 1, 6);
        SAdamUpdater u = (SAdamUpdater) conf.instantiate(state, true);
        u.offerEstimate(new LgiEstimate(0, 0, 0, Estimator.LOSS_PROBES, 0.87, D, RHO, ALPHA, false, false, 0, false));
        INDArray update = Nd4j.createFromArray(-1.0, -0.2, 3.0);
        u.applyUpdater(update, 0, 0);
        new WeightDecay(1e-2, true).apply(params, update, conf.getLearningRate(0, 0), 0, 0);
        params.subi(update);
        assertArrayEquals(new double[]{A_AFTER[0], A_AFTER[1], B_AFTER[0]}, params.toDoubleVector(), TOL);
        assertSame(Estimator.LOSS_PROBES, u.lastEstimate().estimator());
    }

    /**
     * The whole pipeline: SameDiff graph of f, SAdam as the TrainingConfig updater, WeightDecay on every variable,
     * the probe listener with the worked example's directions injected; one fit step.
     */
    @Test
    void fullStepThroughSameDiffProbesMatchesTheWorkedExample() {
        SameDiff sd = SameDiff.create();
        SDVariable in = sd.placeHolder("in", DataType.DOUBLE, -1, 1);
        SDVariable a = sd.var("A", Nd4j.createFromArray(0.3, -0.2));
        SDVariable b = sd.var("B", Nd4j.createFromArray(0.05));
        SDVariable a1 = a.get(SDIndex.point(0));
        SDVariable a2 = a.get(SDIndex.point(1));
        SDVariable loss = sd.math.abs(a1.sub(1.0)).add(a2.mul(a2).mul(0.5)).add(sd.math.abs(b).sum().mul(3.0))
                .add(in.sum().mul(0.0));
        loss.rename("loss");
        sd.setLossVariables("loss");
        sd.setTrainingConfig(TrainingConfig.builder().updater(config()).weightDecay(1e-2, true)
                .dataSetFeatureMapping("in").markLabelsUnused().build());
        SameDiffLossProbes probes = SAdamProbes.attach(sd);
        probes.setDirectionSource((it, g, i, target) ->
                target.assign(Nd4j.createFromArray(Z[i]).castTo(target.dataType())));
        sd.fit(new MultiDataSet(new INDArray[]{Nd4j.zeros(DataType.DOUBLE, 1, 1)}, new INDArray[0]));

        List<LgiEstimate> est = SAdamProbes.lastEstimates(sd);
        assertEquals(1, est.size());
        assertEquals(0.87, est.get(0).baseLoss(), TOL);
        assertArrayEquals(D, est.get(0).d(), TOL);
        assertEquals(RHO, est.get(0).rho(), TOL);
        assertEquals(ALPHA, est.get(0).alpha(), TOL);
        assertArrayEquals(A_AFTER, sd.getVariable("A").getArr().toDoubleVector(), TOL);
        assertArrayEquals(B_AFTER, sd.getVariable("B").getArr().toDoubleVector(), TOL);
    }
}
