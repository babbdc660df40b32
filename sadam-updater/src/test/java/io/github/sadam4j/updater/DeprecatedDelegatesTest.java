package io.github.sadam4j.updater;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.learning.config.Adam;

/**
 * The names this redesign moved still work as delegates to their replacements, so that the other modules compile
 * unchanged until the integration removes them (delete this test with the delegates).
 */
@SuppressWarnings("deprecation")
class DeprecatedDelegatesTest {

    @Test
    void theRuntimeFaceOfSAdamDelegatesToSAdamProbes() {
        MultiLayerNetwork net = Nets.mlp(SAdam.builder().probes(2).build(), false);
        LossProbeListener probes = SAdam.attach(net);
        assertSame(probes, SAdamProbes.attach(net));
        assertNotSame(SAdam.probes(), SAdam.probes());
        net.fit(NonFiniteStepsTest.poisoned(Nets.classification(16, 1), Double.NaN));
        net.fit(Nets.classification(16, 1));
        assertEquals(SAdamProbes.lastEstimates(net), SAdam.lastEstimates(net));
        assertEquals(SAdamProbes.lastEstimates(net), probes.lastEstimates());
        assertEquals(SAdamProbes.lastEstimates(net), probes.lastEstimates(net));
        assertEquals(1, SAdam.skippedSteps(net));

        SameDiff sd = SameDiffProbesTest.mlp(SAdam.builder().probes(2).build());
        SameDiffLossProbes sdProbes = SAdam.attach(sd);
        sd.fit(Nets.classification(8, 2));
        assertEquals(SAdamProbes.lastEstimates(sd), sdProbes.lastEstimates());
    }

    @Test
    void theDl4jWorkaroundsKeepTheirOldNames() {
        MultiLayerConfiguration conf = Nets.plainMlpConf(Nets.base(new Adam(0.01)).weightDecay(1e-2));
        assertEquals(io.github.sadam4j.updater.dl4j.Regularizations.countDuplicates(conf),
                Regularizations.countDuplicates(conf));
        assertEquals(2, Regularizations.deduplicate(conf));
        assertEquals(0, Regularizations.countDuplicates(conf));
        assertThrows(IllegalArgumentException.class, () -> ParallelWrapperFits.keepingUpdater(null, () -> { }));
    }

    @Test
    void theElevenArgumentEstimateIsNotReused() {
        LgiEstimate e = new LgiEstimate(0, 0, 0, Estimator.LOSS_PROBES, 1, new double[]{1, -1}, 0.5, 0.4, false, false,
                0);
        assertFalse(e.reused());
        assertEquals(new LgiEstimate(0, 0, 0, Estimator.LOSS_PROBES, 1, new double[]{1, -1}, 0.5, 0.4, false, false,
                0, false), e);
    }
}
