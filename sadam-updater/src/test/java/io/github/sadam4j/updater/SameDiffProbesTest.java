package io.github.sadam4j.updater;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.TrainingConfig;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.weightinit.impl.XavierInitScheme;

/** S-Adam as the updater of a SameDiff TrainingConfig, with and without probes. */
class SameDiffProbesTest {
    @TempDir
    Path dir;

    static SameDiff mlp(IUpdater updater) {
        Nd4j.getRandom().setSeed(7);
        SameDiff sd = SameDiff.create();
        SDVariable in = sd.placeHolder("in", DataType.FLOAT, -1, 4);
        SDVariable label = sd.placeHolder("label", DataType.FLOAT, -1, 3);
        SDVariable w0 = sd.var("w0", new XavierInitScheme('c', 4, 8), DataType.FLOAT, 4, 8);
        SDVariable b0 = sd.zero("b0", DataType.FLOAT, 8).convertToVariable();
        SDVariable w1 = sd.var("w1", new XavierInitScheme('c', 8, 3), DataType.FLOAT, 8, 3);
        SDVariable b1 = sd.zero("b1", DataType.FLOAT, 3).convertToVariable();
        SDVariable h = sd.nn.relu(in.mmul(w0).add(b0), 0);
        SDVariable logits = h.mmul(w1).add(b1);
        sd.loss.softmaxCrossEntropy("loss", label, logits, null);
        sd.setLossVariables("loss");
        sd.setTrainingConfig(TrainingConfig.builder().updater(updater).dataSetFeatureMapping("in")
                .dataSetLabelMapping("label").build());
        return sd;
    }

    @Test
    void lambdaZeroIsAdamBitForBit() {
        DataSet d = Nets.classification(32, 1);
        SameDiff adam = mlp(new Adam(0.01));
        SameDiff sadam = mlp(SAdam.builder().learningRate(0.01).lambda(0).build());
        SAdamProbes.attach(sadam);
        for (int i = 0; i < 10; i++) {
            adam.fit(d);
            sadam.fit(d);
        }
        for (String v : new String[]{"w0", "b0", "w1", "b1"}) {
            Exact.assertBitEqual(adam.getVariable(v).getArr(), sadam.getVariable(v).getArr(), v);
        }
    }

    @Test
    void probesTrainAndStateSurvivesSaveAndLoad() throws Exception {
        DataSet d = Nets.classification(64, 2);
        SameDiff sd = mlp(SAdam.builder().learningRate(0.03).probes(3).build());
        SameDiffLossProbes probes = SAdamProbes.attach(sd);
        assertSame(probes, SAdamProbes.attach(sd));
        double before = sd.output(d, "loss").get("loss").getDouble(0);
        for (int i = 0; i < 60; i++) {
            sd.fit(d);
            LgiEstimate e = SAdamProbes.lastEstimates(sd).get(0);
            assertEquals(i, e.iteration());
            assertTrue(e.rho() >= 0 && e.rho() <= 1.5 + 1e-9, e.toString());
        }
        assertSame(Estimator.LOSS_PROBES, ((SAdamUpdater) sd.getUpdaterMap().get("w0")).lastEstimate().estimator());
        double after = sd.output(d, "loss").get("loss").getDouble(0);
        assertTrue(after < 0.7 * before, before + " -> " + after);

        File f = dir.resolve("sd.fb").toFile();
        sd.save(f, true);
        SameDiff loaded = SameDiff.load(f, true);
        SAdamUpdater u = (SAdamUpdater) loaded.getUpdaterMap().get("w1");
        Exact.assertBitEqual(((SAdamUpdater) sd.getUpdaterMap().get("w1")).getState().get("M"), u.getState().get("M"));
        assertEquals(sd.getTrainingConfig().getUpdater(), loaded.getTrainingConfig().getUpdater());
    }

    @Test
    void withoutItsProbesASameDiffUpdateFailsOrWarns() {
        DataSet d = Nets.classification(16, 3);
        SameDiff failing = mlp(SAdam.builder().learningRate(0.01).probes(2).build());
        MissingProbesException e = assertThrows(MissingProbesException.class, () -> failing.fit(d));
        assertTrue(e.getMessage().contains("SAdamProbes.attach(sameDiff)"), e.getMessage());
        SameDiff warning = mlp(SAdam.builder().learningRate(0.01).probes(2).missingProbes(MissingProbes.WARN).build());
        for (int i = 0; i < 3; i++) {
            warning.fit(d);
        }
        assertEquals(new StepCounts(3, 3, 0, 3, 0), SAdamProbes.counts(warning));
        assertSame(Estimator.LINEARIZED, SAdamProbes.lastEstimates(warning).get(0).estimator());
        SameDiff linearized = mlp(SAdam.builder().learningRate(0.01).estimator(Estimator.LINEARIZED).build());
        linearized.fit(d);
        assertEquals(new StepCounts(1, 1, 0, 0, 0), SAdamProbes.counts(linearized), "LINEARIZED on purpose");
        assertTrue(SAdamProbes.counts(linearized).everyStepProbed());
    }

    @Test
    void attachNeedsSAdamInTheTrainingConfig() {
        assertThrows(IllegalArgumentException.class, () -> SAdamProbes.attach(mlp(new Adam(0.01))));
        assertThrows(IllegalArgumentException.class, () -> SAdamProbes.attach(SameDiff.create()));
    }
}
