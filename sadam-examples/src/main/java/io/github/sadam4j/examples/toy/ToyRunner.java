package io.github.sadam4j.examples.toy;

import io.github.sadam4j.updater.LgiEstimate;
import io.github.sadam4j.updater.SAdam;
import io.github.sadam4j.updater.SAdamProbes;
import io.github.sadam4j.updater.SameDiffLossProbes;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Runs one optimizer on one toy function with SameDiff (float64). The two coordinates are ONE trainable tensor
 * {@code xy}, so S-Adam's per-tensor normalised probe directions are uniform on the circle, as in a 2-parameter
 * PyTorch model. Each step is one {@code sd.fit} on a dummy minibatch (SameDiff needs a feature placeholder; the loss
 * adds {@code 0 * sum(in)}). Everything the optimizers do is the library's: this class only reads the parameters
 * after each step and S-Adam's {@link LgiEstimate} from its probe listener.
 */
public final class ToyRunner {
    private ToyRunner() {
    }

    /**
     * Runs {@code trajectory.optimizer()} on {@code trajectory.function()}, appending every point to the trajectory.
     *
     * @param trajectory where the points go (its function, optimizer and planned steps define the run)
     * @param settings   the settings ({@code settings.steps()} should equal the trajectory's planned steps)
     * @param onPoint    called after every point (start point included), e.g. to write CSV and move a progress bar
     * @param stop       polled before every step; true ends the run early
     */
    public static void run(ToyTrajectory trajectory, ToySettings settings, Consumer<ToyTrajectory.Point> onPoint,
                           BooleanSupplier stop) {
        ToyFunction function = trajectory.function();
        ToyOptimizer optimizer = trajectory.optimizer();
        SameDiff sd = SameDiff.create();
        SDVariable in = sd.placeHolder("in", DataType.DOUBLE, -1, 1);
        SDVariable xy = sd.var("xy", Nd4j.createFromArray(settings.startX(), settings.startY()));
        SDVariable x = xy.get(SDIndex.point(0));
        SDVariable y = xy.get(SDIndex.point(1));
        SDVariable loss = function.build(sd, x, y).add(in.sum().mul(0.0));
        loss.rename("loss");
        sd.setLossVariables("loss");
        sd.setTrainingConfig(optimizer.configure(settings).dataSetFeatureMapping("in").markLabelsUnused().build());
        AtomicReference<LgiEstimate> estimate = new AtomicReference<>();
        if (optimizer == ToyOptimizer.SADAM) {
            SameDiffLossProbes probes = SAdamProbes.attach(sd);
            probes.addObserver(estimate::set);
        }
        createGradientsQuietly(sd);

        record(trajectory, function, 0, settings.startX(), settings.startY(), null, onPoint);
        MultiDataSet batch = new MultiDataSet(new INDArray[]{Nd4j.zeros(DataType.DOUBLE, 1, 1)}, new INDArray[0]);
        SAdam sadam = ToyOptimizer.sadam(settings);
        LgiEstimate reused = null;
        for (int step = 1; step <= trajectory.requestedSteps() && !stop.getAsBoolean(); step++) {
            estimate.set(null);
            sd.fit(batch);
            INDArray p = sd.getArrForVarName("xy");
            LgiEstimate e = estimate.get();
            if (optimizer == ToyOptimizer.SADAM && settings.lambda() > 0 && settings.probes() >= 2) {
                if (e == null && sadam.probesAt(step - 1)) {
                    throw new IllegalStateException("S-Adam's probes did not report an estimate at step " + step);
                }
                // between the probing steps of a probe interval the update reuses the last estimate's damping
                e = e != null ? e : reused;
                reused = e;
            }
            record(trajectory, function, step, p.getDouble(0), p.getDouble(1), e, onPoint);
        }
        trajectory.finish();
    }

    private static void record(ToyTrajectory t, ToyFunction f, int step, double x, double y, LgiEstimate e,
                               Consumer<ToyTrajectory.Point> onPoint) {
        ToyTrajectory.Point p = new ToyTrajectory.Point(step, x, y, f.value(x, y), ToyFunction.distanceToMinimum(x, y),
                e == null ? Double.NaN : e.rho(), e == null ? Double.NaN : e.alpha());
        t.add(p);
        onPoint.accept(p);
    }

    /**
     * Builds the gradient graph up front. DL4J 1.0.0-M2.1's {@code SameDiff.createGradFunction} prints one line per
     * differentiated op to {@code System.out} (not to a logger), which would mix with the results this CLI prints;
     * the lines are discarded here. Single-threaded use only: {@code System.out} is swapped for the duration.
     */
    static synchronized void createGradientsQuietly(SameDiff sd) {
        PrintStream original = System.out;
        System.setOut(new PrintStream(OutputStream.nullOutputStream()));
        try {
            sd.createGradFunction();
        } finally {
            System.setOut(original);
        }
    }
}
