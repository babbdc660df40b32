package io.github.sadam4j.qat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.updater.dl4j.ParallelWrapperFits;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.optimize.api.StepFunction;
import org.deeplearning4j.optimize.solvers.accumulation.GradientsAccumulator;
import org.deeplearning4j.optimize.solvers.accumulation.IndexedTail;
import org.deeplearning4j.parallelism.ParallelWrapper;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Issue 9: the observer state under DL4J's data-parallel training. Gradient sharing threshold-encodes the update
 * vector after the updater; the observer's new state must not travel in it.
 */
class GradientSharingTest {
    static final float LO = -3f;
    static final float HI = 5f;

    /** Input -> FakeQuant (EMA) -> Dense -> FakeQuant (running min/max) -> Output. */
    static MultiLayerNetwork net(int seed) {
        return FakeQuantLayerTest.observerNet(seed, new Sgd(0.05), "fq_in", QuantSpec.activations(8).toBuilder()
                .averagingConstant(0.1).build(), 6, "fq_hidden", QuantSpec.activations(8).toBuilder()
                .range(RangeSource.RUNNING_MINMAX).build());
    }

    /**
     * A batch whose features span exactly [LO, HI] in every column, whatever the seed: an EMA or running min/max
     * observer that has seen any number of such batches holds exactly [LO, HI], on whichever worker.
     */
    static DataSet batch(long seed, int n) {
        Nd4j.getRandom().setSeed(seed);
        INDArray x = Nd4j.rand(DataType.FLOAT, n, 4).muli(HI - LO - 2).addi(LO + 1);
        x.getRow(0).assign(LO);
        x.getRow(1).assign(HI);
        INDArray y = Nd4j.zeros(DataType.FLOAT, n, 3);
        for (int i = 0; i < n; i++) {
            y.putScalar(i, (i + seed) % 3, 1.0);
        }
        return new DataSet(x, y);
    }

    static List<DataSet> batches(int count) {
        List<DataSet> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(batch(1000 + i, 8));
        }
        return out;
    }

    /** Exact state of the input observer, valid state of the hidden one (its range depends on the weights). */
    static void assertObserversSane(org.deeplearning4j.nn.api.Layer in, org.deeplearning4j.nn.api.Layer hidden) {
        assertEquals(LO, in.getParam("min").getFloat(0), 0f, "fq_in min");
        assertEquals(HI, in.getParam("max").getFloat(0), 0f, "fq_in max");
        assertEquals(1f, in.getParam("count").getFloat(0), 0f, "fq_in count");
        assertEquals(1f, hidden.getParam("count").getFloat(0), 0f, "fq_hidden count");
        float lo = hidden.getParam("min").getFloat(0);
        float hi = hidden.getParam("max").getFloat(0);
        assertTrue(-1 <= lo && lo < hi && hi <= 1, "fq_hidden range of a tanh: [" + lo + ", " + hi + "]");
    }

    static void assertObserversSane(MultiLayerNetwork net) {
        QatLayers.checkObservers(net);
        assertObserversSane(net.getLayer(0), net.getLayer(2));
    }

    @Test
    void parallelWrapperWithSharedGradientsKeepsTheObserverState() {
        MultiLayerNetwork net = net(1);
        ParallelWrapper pw = new ParallelWrapper.Builder<>(net).workers(2).prefetchBuffer(2)
                .trainingMode(ParallelWrapper.TrainingMode.SHARED_GRADIENTS).build();
        ParallelWrapperFits.keepingUpdater(net, () -> pw.fit(new ListDataSetIterator<>(batches(12), 1)));
        assertObserversSane(net);
        net.score(batch(7, 8));
    }

    @Test
    void parallelWrapperWithParameterAveragingKeepsTheObserverState() {
        MultiLayerNetwork net = net(2);
        ParallelWrapper pw = new ParallelWrapper.Builder<>(net).workers(2).prefetchBuffer(2).averagingFrequency(3)
                .trainingMode(ParallelWrapper.TrainingMode.AVERAGING).build();
        ParallelWrapperFits.keepingUpdater(net, () -> pw.fit(new ListDataSetIterator<>(batches(12), 1)));
        assertObserversSane(net);
        net.score(batch(7, 8));
    }

    /**
     * A one-worker stand-in for DL4J's threshold encoding ({@code EncodedGradientsAccumulator} with
     * {@code EncodingHandler}): the update is added to a residual, the message is {@code sign(r) * tau} where
     * {@code |r| >= tau}, the residual keeps the rest, and the step applies the decoded message instead of the update.
     */
    static final class ThresholdSharing implements GradientsAccumulator {
        private static final long serialVersionUID = 1L;
        final double tau;
        INDArray residual;
        INDArray message;
        final List<INDArray> stored = new ArrayList<>();

        ThresholdSharing(double tau) {
            this.tau = tau;
        }

        @Override
        public void storeUpdate(INDArray update, int iteration, int epoch) {
            stored.add(update.dup());
            residual = residual == null ? update.dup() : residual.addi(update);
            INDArray big = Transforms.abs(residual, true).gte(tau).castTo(residual.dataType());
            message = Transforms.sign(residual, true).muli(big).muli(tau);
            residual.subi(message);
        }

        @Override
        public void applyUpdate(StepFunction function, INDArray params, INDArray updates, boolean isFinalStep) {
            updates.assign(message);
            function.step(params, updates);
        }

        @Override
        public void applyUpdate(StepFunction function, INDArray params, INDArray updates, double alpha) {
            applyUpdate(function, params, updates, true);
        }

        @Override
        public void setExternalSource(IndexedTail source) {
        }

        @Override
        public IndexedTail getExternalSource() {
            return null;
        }

        @Override
        public void receiveUpdate(INDArray array) {
        }

        @Override
        public void markExternalUpdates(boolean updatesAvailable) {
        }

        @Override
        public void reset() {
        }

        @Override
        public void touch() {
        }

        @Override
        public boolean hasAnything() {
            return false;
        }
    }

    @Test
    void thresholdEncodedUpdatesCarryNothingOfTheObserverState() {
        MultiLayerNetwork net = net(3);
        ThresholdSharing sharing = new ThresholdSharing(1e-3);
        net.setGradientsAccumulator(sharing);
        INDArray weights = net.getLayer(1).params().dup();
        for (DataSet ds : batches(5)) {
            net.fit(ds);
        }
        assertObserversSane(net);
        assertNotEquals(weights, net.getLayer(1).params(), "the weights train through the encoded updates");
        long obs = net.getLayer(0).numParams();
        for (INDArray u : sharing.stored) {
            assertArrayEquals(new float[(int) obs], u.get(NDArrayIndex.interval(0, obs)).toFloatVector(),
                    "the shared update of the observer parameters is zero");
        }
        net.score(batch(7, 8));

        // the same in a ComputationGraph (ComputationGraphUpdater)
        ComputationGraph g = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(4)
                .dataType(DataType.FLOAT).updater(new Sgd(0.05)).weightInit(WeightInit.XAVIER).graphBuilder()
                .addInputs("x")
                .addLayer("fq_in", net.getLayerWiseConfigurations().getConf(0).getLayer().clone(), "x")
                .addLayer("d", new DenseLayer.Builder().nOut(6).activation(Activation.TANH).build(), "fq_in")
                .addLayer("fq_hidden", net.getLayerWiseConfigurations().getConf(2).getLayer().clone(), "d")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "fq_hidden")
                .setOutputs("out").setInputTypes(InputType.feedForward(4)).build());
        g.init();
        g.setGradientsAccumulator(new ThresholdSharing(1e-3));
        for (DataSet ds : batches(5)) {
            g.fit(ds);
        }
        QatLayers.checkObservers(g);
        assertObserversSane(g.getLayer("fq_in"), g.getLayer("fq_hidden"));
    }
}
