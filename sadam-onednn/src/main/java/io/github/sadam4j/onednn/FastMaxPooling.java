package io.github.sadam4j.onednn;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Collection;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's {@link SubsamplingLayer} configuration whose layers pool with {@link MaxPoolingHelper} (max pooling by
 * libnd4j's own loops or its oneDNN helper, whichever is faster for the shape; the same results). Everything else is
 * DL4J's: other pooling types, JSON (the class name is recorded, so loading needs this module), {@code equals}, and
 * every tool that inspects a network sees a {@link SubsamplingLayer}. Made by {@link Dl4jSpeedups} from an existing
 * configuration.
 */
public class FastMaxPooling extends SubsamplingLayer {
    private static final long serialVersionUID = 1L;

    /** For JSON; use {@link #of(SubsamplingLayer)}. */
    public FastMaxPooling() {
        super();
    }

    /**
     * @param conf a pooling layer's configuration
     * @return the same configuration, pooling through {@link MaxPoolingHelper}
     */
    public static FastMaxPooling of(SubsamplingLayer conf) {
        FastMaxPooling out = new FastMaxPooling();
        for (Class<?> c = SubsamplingLayer.class; c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers())) {
                    continue;
                }
                try {
                    f.setAccessible(true);
                    f.set(out, f.get(conf));
                } catch (ReflectiveOperationException | RuntimeException e) {
                    throw new IllegalStateException("Cannot copy field " + f + " of DL4J's SubsamplingLayer "
                            + "configuration (a DL4J version other than 1.0.0-M2.1?)", e);
                }
            }
        }
        return out.clone();
    }

    @Override
    public FastMaxPooling clone() {
        return (FastMaxPooling) super.clone();
    }

    @Override
    public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf,
                                                       Collection<TrainingListener> trainingListeners,
                                                       int layerIndex, INDArray layerParamsView,
                                                       boolean initializeParams, DataType networkDataType) {
        Impl ret = new Impl(conf, networkDataType);
        ret.setListeners(trainingListeners);
        ret.setIndex(layerIndex);
        ret.setParamsViewArray(layerParamsView);
        ret.setParamTable(initializer().init(conf, layerParamsView, initializeParams));
        ret.setConf(conf);
        return ret;
    }

    /** DL4J's pooling layer with {@link MaxPoolingHelper} as its helper, forward pass included. */
    static final class Impl extends org.deeplearning4j.nn.layers.convolution.subsampling.SubsamplingLayer {
        private static final long serialVersionUID = 1L;

        Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
            helper = new MaxPoolingHelper();
        }

        @Override
        public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
            // DL4J 1.0.0-M2.1 calls the helper in the backward pass only
            SubsamplingLayer c = layerConf();
            if (input == null || input.rank() != 4 || helper == null) {
                return super.activate(training, workspaceMgr);
            }
            INDArray out = helper.activate(input.castTo(dataType), training, c.getKernelSize(), c.getStride(),
                    c.getPadding(), c.getPoolingType(), c.getConvolutionMode(), c.getDilation(),
                    c.getCnn2dDataFormat(), workspaceMgr);
            return out != null ? out : super.activate(training, workspaceMgr);
        }
    }
}
