package io.github.sadam4j.qat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.updater.StepVeto;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.listeners.ScoreIterationListener;
import org.deeplearning4j.parallelism.ParallelWrapper;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Issue 14, item 4: a batch an observer refuses vetoes the training step through {@link StepVeto}, read by a listener
 * that handles vetoes; without one the layer throws before anything is updated. And where DL4J hands a network's
 * listeners to its layers (the layer can only see its own listener list).
 */
class StepVetoTest {

    private static DataSet withNaN(long seed) {
        DataSet ds = ObserverStateTest.batch(seed, 1);
        ds.getFeatures().putScalar(1, 2, Float.NaN);
        return ds;
    }

    private static void assertVetoWithoutHandler(Runnable fit, String layer) {
        NonFiniteValuesException e = assertThrows(NonFiniteValuesException.class, fit::run);
        for (String part : List.of(layer, "NaN or infinite", "StepVeto.Handler", "SAdamProbes.attach",
                "io.github.sadam4j.updater.StepGuard")) {
            assertTrue(e.getMessage().contains(part), part + " in: " + e.getMessage());
        }
    }

    @Test
    void withoutAHandlerTheLayerThrowsAndTheStepIsNotTaken() {
        MultiLayerNetwork net = ObserverStateTest.net(QuantSpec.activations(8), new Adam(0.01));
        net.fit(ObserverStateTest.batch(1, 1));
        net.fit(ObserverStateTest.batch(2, 1));
        INDArray params = net.params().dup();
        INDArray updater = net.getUpdater().getStateViewArray().dup();
        int iteration = net.getIterationCount();
        assertVetoWithoutHandler(() -> net.fit(withNaN(3)), "'fq'");
        assertEquals(params, net.params(), "weights and observer states untouched");
        assertEquals(updater, net.getUpdater().getStateViewArray(), "Adam's moments untouched");
        assertEquals(iteration, net.getIterationCount());
        StepVeto fq = (StepVeto) net.getLayer(0);
        assertTrue(fq.vetoReason().contains("'fq' refuses this training batch"), fq.vetoReason());
        // the next good batch trains and clears the veto
        net.fit(ObserverStateTest.batch(4, 1));
        assertNull(fq.vetoReason());
        assertFalse(params.equals(net.params()));
        // inference is not vetoed: a NaN input to a trained observer stays NaN element by element
        assertEquals(1, FakeQuantLayerTest.countNaN(net.feedForwardToLayer(0, withNaN(5).getFeatures(), false)
                .get(1)));
    }

    @Test
    void anObservedRangeThatWouldOverflowVetoesTheStep() {
        MultiLayerNetwork net = FakeQuantLayerTest.inputQuantNet(QuantSpec.activations(8), new Sgd(0.0));
        VetoRecorder handler = new VetoRecorder();
        net.addListeners(handler);
        DataSet huge = ObserverStateTest.batch(1, 1);
        huge.getFeatures().assign(3e38f);
        net.fit(huge);
        float[] state = net.getLayer(0).params().toFloatVector();
        assertArrayEquals(new float[]{3e38f, 3e38f, 1f}, state);
        DataSet opposite = ObserverStateTest.batch(2, 1);
        opposite.getFeatures().putScalar(0, 0, -3.4e38f); // min + 0.01 (-3.4e38 - 3e38) overflows to -infinity
        handler.vetoes.clear();
        net.fit(opposite);
        assertTrue(handler.vetoes.stream().anyMatch(v -> v.contains("'fq'") && v.contains("would overflow")),
                handler.vetoes.toString());
        assertArrayEquals(state, net.getLayer(0).params().toFloatVector(), "not observed");
    }

    @Test
    void dl4jHandsTheListenersToTheLayers() {
        // MultiLayerNetwork: after init the layers share the network's list, so addListeners reaches them
        MultiLayerNetwork shared = ObserverStateTest.net(QuantSpec.activations(8), new Sgd(0.1));
        shared.addListeners(new VetoRecorder());
        shared.fit(withNaN(1));
        // setListeners hands the given list to every layer ...
        MultiLayerNetwork set = ObserverStateTest.net(QuantSpec.activations(8), new Sgd(0.1));
        ScoreIterationListener score = new ScoreIterationListener(100);
        set.setListeners(score);
        // ... and DL4J 1.0.0-M2.1's MultiLayerNetwork.addListeners afterwards does not reach the layers (the layer
        // sees no handler and refuses to go ahead, saying so), while setListeners with the whole list does
        set.addListeners(new VetoRecorder());
        assertVetoWithoutHandler(() -> set.fit(withNaN(2)), "'fq'");
        set.setListeners(new ArrayList<>(set.getListeners()));
        set.fit(withNaN(2));

        // ComputationGraph: addListeners goes through setListeners, which reaches every layer
        ComputationGraphConfiguration gc = new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.FLOAT)
                .updater(new Sgd(0.1)).graphBuilder().addInputs("in")
                .addLayer("fq", new FakeQuantLayer(QuantSpec.activations(8)), "in")
                .addLayer("d", new DenseLayer.Builder().nOut(5).activation(Activation.TANH).build(), "fq")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "d")
                .setOutputs("out").setInputTypes(InputType.feedForward(4)).build();
        ComputationGraph g = new ComputationGraph(gc);
        g.init();
        g.fit(ObserverStateTest.batch(1, 1));
        assertVetoWithoutHandler(() -> g.fit(withNaN(3)), "'fq'");
        VetoRecorder handler = new VetoRecorder();
        g.addListeners(handler);
        g.fit(withNaN(3));
        assertFalse(handler.vetoes.isEmpty());
    }

    @Test
    void parallelWrapperReplicasGetTheHandler() {
        MultiLayerNetwork net = ObserverStateTest.net(QuantSpec.activations(8), new Sgd(0.0));
        VetoRecorder handler = new VetoRecorder();
        net.addListeners(handler); // ParallelWrapper.Builder moves the network's listeners to the replicas
        ParallelWrapper pw = new ParallelWrapper.Builder<>(net).workers(2).prefetchBuffer(2).averagingFrequency(1)
                .trainingMode(ParallelWrapper.TrainingMode.AVERAGING).build();
        List<DataSet> batches = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            batches.add(i == 2 ? withNaN(10 + i) : ObserverStateTest.batch(10 + i, 1));
        }
        pw.fit(new ListDataSetIterator<>(batches, 1));
        pw.shutdown();
        assertTrue(handler.vetoes.stream().anyMatch(v -> v.contains("'fq'")), handler.vetoes.toString());
    }
}
