package io.github.sadam4j.updater;

import java.util.Collection;
import java.util.Map;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A test layer that passes its input through unchanged and vetoes ({@link StepVeto}) the training step of any batch
 * holding a value above {@link #LIMIT}: a stand-in for a QAT observer that refuses a batch. The vetoed batch is
 * finite, so without a guard it would train like any other.
 */
final class VetoLayer extends ActivationLayer {
    static final double LIMIT = 20;

    VetoLayer() {
        super(Activation.IDENTITY);
    }

    @Override
    public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf,
                                                       Collection<TrainingListener> trainingListeners,
                                                       int layerIndex, INDArray layerParamsView,
                                                       boolean initializeParams, DataType networkDataType) {
        Runtime ret = new Runtime(conf, networkDataType);
        ret.setListeners(trainingListeners);
        ret.setIndex(layerIndex);
        ret.setParamsViewArray(layerParamsView);
        Map<String, INDArray> paramTable = initializer().init(conf, layerParamsView, initializeParams);
        ret.setParamTable(paramTable);
        ret.setConf(conf);
        return ret;
    }

    /**
     * The runtime layer: sets or clears its veto at every forward pass (DL4J's frozen wrappers run the layer they wrap
     * in inference mode, also when training) and passes a copy of its input on.
     */
    static final class Runtime extends org.deeplearning4j.nn.layers.ActivationLayer implements StepVeto {
        private String veto;

        Runtime(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        @Override
        public INDArray activate(boolean training, LayerWorkspaceMgr mgr) {
            double max = input().amaxNumber().doubleValue();
            veto = max > LIMIT ? "batch out of range (max |x| = " + max + " > " + LIMIT + ")" : null;
            return mgr.dup(ArrayType.ACTIVATIONS, input(), input().ordering());
        }

        @Override
        public String vetoReason() {
            return veto;
        }
    }
}
