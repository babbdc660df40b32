package io.github.sadam4j.examples.keras;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import io.github.sadam4j.keras.ImportedKerasModel;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Test-set metrics of a retrained Keras model: the data loss (DL4J's inference-mode score without regularisation
 * terms, so runs with different weight decay compare) and, for each classification output, the accuracy (arg-max of
 * the last dimension against the one-hot or index label).
 *
 * @param loss       data loss on the test set
 * @param accuracies accuracy of each classification output (empty for regression models)
 */
record Evaluation(double loss, List<Double> accuracies) {

    static Evaluation of(Model net, MultiDataSet test, ImportedKerasModel keras) {
        double loss;
        INDArray[] outputs;
        if (net instanceof MultiLayerNetwork mln) {
            loss = mln.score(new DataSet(test.getFeatures(0), test.getLabels(0)), false)
                    - mln.calcRegularizationScore(true);
            outputs = new INDArray[]{mln.output(test.getFeatures(0))};
        } else {
            ComputationGraph cg = (ComputationGraph) net;
            loss = cg.score(test, false) - cg.calcRegularizationScore(true);
            outputs = cg.output(test.getFeatures());
        }
        List<String> lossNames = new ArrayList<>(keras.kerasLosses().values());
        List<Double> acc = new ArrayList<>();
        for (int i = 0; i < outputs.length; i++) {
            String name = lossNames.get(Math.min(i, lossNames.size() - 1));
            if (name.contains("categorical_crossentropy")) {
                INDArray predicted = Nd4j.argMax(outputs[i], outputs[i].rank() - 1);
                INDArray label = test.getLabels(i);
                INDArray truth = name.startsWith("sparse") ? label.reshape(predicted.shape()).castTo(predicted.dataType())
                        : Nd4j.argMax(label, label.rank() - 1);
                acc.add(predicted.eq(truth).castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).meanNumber()
                        .doubleValue());
            }
        }
        return new Evaluation(loss, acc);
    }

    String[] row(String when) {
        return new String[]{when, String.format(Locale.ROOT, "%.4f", loss), accuracies.isEmpty() ? ""
                : String.join(" / ", accuracies.stream().map(a -> String.format(Locale.ROOT, "%.2f%%", 100 * a))
                .toList())};
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "test loss %.4f", loss) + (accuracies.isEmpty() ? ""
                : ", test accuracy " + String.join(" / ", accuracies.stream()
                .map(a -> String.format(Locale.ROOT, "%.2f%%", 100 * a)).toList()));
    }
}
