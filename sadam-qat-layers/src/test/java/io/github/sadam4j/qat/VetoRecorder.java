package io.github.sadam4j.qat;

import io.github.sadam4j.updater.StepVeto;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;

/**
 * A test-only {@link StepVeto.Handler}: after each gradient calculation it records the veto reasons of the network's
 * layers (it does not skip the step; S-Adam's probe listener and the updater module's StepGuard do).
 */
final class VetoRecorder extends BaseTrainingListener implements StepVeto.Handler {
    final List<String> vetoes = Collections.synchronizedList(new ArrayList<>());
    int steps;

    @Override
    public void onGradientCalculation(Model model) {
        steps++;
        for (Layer l : QatLayers.layersOf(model)) {
            if (l instanceof StepVeto v && v.vetoReason() != null) {
                vetoes.add(v.vetoReason());
            }
        }
    }
}
