package io.github.sadam4j.qat.layers;

import java.util.Arrays;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Deconvolution2D;
import org.deeplearning4j.nn.conf.layers.Deconvolution3D;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.deeplearning4j.nn.params.SeparableConvolutionParamInitializer;

/**
 * The output-channel axis of a DL4J layer's weight parameter, used by per-channel weight quantization when the spec
 * says {@link io.github.sadam4j.qat.QuantSpec#AUTO_AXIS}.
 *
 * <table>
 *   <caption>Weight layouts in DL4J 1.0.0-M2.1</caption>
 *   <tr><th>layer</th><th>weight shape</th><th>axis</th></tr>
 *   <tr><td>Dense, Output, Embedding, EmbeddingSequence, LSTM (W and RW), SimpleRnn, RnnOutput, CenterLossOutput</td>
 *       <td>{@code [nIn, nOut]}</td><td>1</td></tr>
 *   <tr><td>Convolution1D/2D/3D</td><td>{@code [nOut, nIn, k...]}</td><td>0</td></tr>
 *   <tr><td>Deconvolution2D</td><td>{@code [nIn, nOut, kH, kW]}</td><td>1</td></tr>
 *   <tr><td>Deconvolution3D</td><td>{@code [kD, kH, kW, nOut, nIn]}</td><td>3</td></tr>
 *   <tr><td>DepthwiseConvolution2D</td><td>{@code [kH, kW, nIn, multiplier]}</td><td>2 (one scale per input channel's
 *       filters)</td></tr>
 *   <tr><td>SeparableConvolution2D</td><td>depthwise {@code W [multiplier, nIn, kH, kW]}; pointwise
 *       {@code pW [nOut, nIn*multiplier, 1, 1]}</td><td>1; 0</td></tr>
 * </table>
 * Any other layer: 1 for a rank-2 weight of a feed-forward or recurrent layer; otherwise the axis must be given
 * explicitly.
 */
public final class WeightAxes {
    private WeightAxes() {
    }

    /**
     * @param layerConf the layer configuration
     * @param paramKey  the weight parameter's key
     * @param shape     its shape
     * @return the output-channel axis
     * @throws IllegalArgumentException if the layer type is unknown and the axis cannot be inferred
     */
    public static int outputChannelAxis(Layer layerConf, String paramKey, long[] shape) {
        if (layerConf instanceof Deconvolution3D) {
            return 3;
        }
        if (layerConf instanceof Deconvolution2D) {
            return 1;
        }
        if (layerConf instanceof DepthwiseConvolution2D) {
            return 2;
        }
        if (layerConf instanceof SeparableConvolution2D) {
            return SeparableConvolutionParamInitializer.POINT_WISE_WEIGHT_KEY.equals(paramKey) ? 0 : 1;
        }
        if (layerConf instanceof ConvolutionLayer) {
            return 0;
        }
        if (shape.length == 2 && (layerConf instanceof FeedForwardLayer)) {
            return 1;
        }
        throw new IllegalArgumentException("cannot infer the output-channel axis of weight '" + paramKey + "' "
                + Arrays.toString(shape) + " of layer type " + layerConf.getClass().getSimpleName()
                + "; give the axis explicitly with QuantSpec.Builder.perChannel(axis)");
    }
}
