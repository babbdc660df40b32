package io.github.sadam4j.qat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.qat.observer.CurrentRange;
import io.github.sadam4j.qat.observer.FixedRange;
import io.github.sadam4j.qat.observer.MeanAbsRange;
import io.github.sadam4j.qat.observer.MinMaxObserver;
import io.github.sadam4j.qat.observer.MovingAverageObserver;
import io.github.sadam4j.qat.observer.RangeObserver;
import java.util.List;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.junit.jupiter.api.Test;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * Issue 14, item 3: QuantSpec's JSON names its observer and scale rule by type; the flat fields written before still
 * read, onto the same observers.
 */
class QuantSpecJsonTest {
    private static final ObjectMapper DL4J = NeuralNetConfiguration.mapper();
    private static final ObjectMapper PLAIN = new ObjectMapper();

    static List<QuantSpec> everyKind() {
        return List.of(QuantSpec.paper(4), QuantSpec.weights(4), QuantSpec.activations(8), QuantSpec.binaryWeights(),
                QuantSpec.activations(6).toBuilder().perChannel(2).movingAverage(0.2).freezeAfter(7).build(),
                QuantSpec.builder().bits(5).asymmetric().signed(true).range(RangeSource.RUNNING_MINMAX)
                        .freezeAfter(3).build(),
                QuantSpec.builder().bits(3).narrowRange(true).fixedRange(-0.5, 0.75).ste(SteMode.CLIPPED).build());
    }

    @Test
    void observersAndScaleRulesAreWrittenByTypeAndReadBack() throws Exception {
        for (ObjectMapper m : List.of(DL4J, PLAIN)) {
            for (QuantSpec spec : everyKind()) {
                String json = m.writeValueAsString(spec);
                assertEquals(spec, m.readValue(json, QuantSpec.class), json);
                assertTrue(json.contains("\"observer\"") && json.contains("\"scaleRule\"")
                        && !json.contains("\"range\"") && !json.contains("\"stateful\""), json);
            }
        }
        String paper = PLAIN.writeValueAsString(QuantSpec.paper(4));
        assertTrue(paper.contains("{\"type\":\"current\"}") && paper.contains("{\"type\":\"paper\",\"constant\":7.0}"),
                paper);
        String ema = PLAIN.writeValueAsString(QuantSpec.activations(8).toBuilder().freezeAfter(9).build());
        assertTrue(ema.contains("{\"type\":\"movingAverage\",\"freezeAfter\":9,\"averagingConstant\":0.01}")
                || ema.contains("{\"type\":\"movingAverage\",\"averagingConstant\":0.01,\"freezeAfter\":9}"), ema);
    }

    /** The JSON of a QuantSpec as the code before issue 14 wrote it. */
    private static String legacy(String range, double c, int freezeAfter, double fixedMin, double fixedMax,
                                 double paper, String scheme, int bits, boolean perChannel, String ste) {
        return "{\"averagingConstant\" : " + c + ", \"bits\" : " + bits + ", \"channelAxis\" : -1, \"fixedMax\" : "
                + fixedMax + ", \"fixedMin\" : " + fixedMin + ", \"freezeAfter\" : " + freezeAfter
                + ", \"narrowRange\" : false, \"paperConstant\" : " + paper + ", \"perChannel\" : " + perChannel
                + ", \"range\" : \"" + range + "\", \"scheme\" : \"" + scheme + "\", \"signed\" : true, \"ste\" : \""
                + ste + "\"}";
    }

    @Test
    void theFlatFieldsOfEarlierVersionsReadOntoTheSameObservers() throws Exception {
        assertEquals(QuantSpec.paper(4), DL4J.readValue(legacy("CURRENT", 0.01, 0, 0, 0, 7.0, "SYMMETRIC", 4, false,
                "IDENTITY"), QuantSpec.class));
        QuantSpec ema = DL4J.readValue(legacy("MOVING_AVERAGE", 0.1, 2, 0, 0, 0, "ASYMMETRIC", 6, true, "CLIPPED"),
                QuantSpec.class);
        assertEquals(new MovingAverageObserver(0.1, 2), ema.getObserver());
        assertEquals(MinMaxScale.INSTANCE, ema.getScaleRule());
        assertEquals(new MinMaxObserver(5), DL4J.readValue(legacy("RUNNING_MINMAX", 0.01, 5, 0, 0, 0, "ASYMMETRIC",
                8, false, "CLIPPED"), QuantSpec.class).getObserver());
        assertEquals(new FixedRange(-0.3, 0.3), DL4J.readValue(legacy("FIXED", 0.01, 0, -0.3, 0.3, 0, "SYMMETRIC",
                3, false, "CLIPPED"), QuantSpec.class).getObserver());
        assertEquals(MeanAbsRange.INSTANCE, DL4J.readValue(legacy("MEAN_ABS", 0.01, 0, 0, 0, 0, "SYMMETRIC", 1, true,
                "IDENTITY"), QuantSpec.class).getObserver());
        // invalid old values are still rejected, naming the value
        Exception e = assertThrows(Exception.class, () -> DL4J.readValue(legacy("CURRENT", 0.01, 4, 0, 0, 0,
                "SYMMETRIC", 8, false, "CLIPPED"), QuantSpec.class));
        assertTrue(String.valueOf(e.getMessage()).contains("freezeAfter = 4"), e.getMessage());
        // one form or the other
        String both = PLAIN.writeValueAsString(QuantSpec.weights(4)).replace("{\"bits\"", "{\"range\":\"CURRENT\","
                + "\"bits\"");
        Exception mixed = assertThrows(Exception.class, () -> PLAIN.readValue(both, QuantSpec.class));
        assertTrue(String.valueOf(mixed.getMessage()).contains("not both"), mixed.getMessage());
    }

    @Test
    void theBuilderSettingsComeInAnyOrderAndObserversAreTypes() {
        assertEquals(QuantSpec.activations(8).toBuilder().freezeAfter(5).movingAverage(0.1).build(),
                QuantSpec.activations(8).toBuilder().movingAverage(0.1).freezeAfter(5).build());
        assertEquals(QuantSpec.activations(8).toBuilder().movingAverage(0.1).freezeAfter(5).build(),
                QuantSpec.activations(8).toBuilder().observer(new MovingAverageObserver(0.1, 5)).build());
        for (QuantSpec spec : everyKind()) {
            assertEquals(spec, spec.toBuilder().build(), spec.toString());
            RangeObserver o = spec.getObserver();
            assertEquals(spec.getRange(), o.kind());
            assertEquals(o, o.settings().toObserver());
            assertEquals(o.isStateful() ? 2 * 3 + 1 : 0, o.stateSize(3), o.toString());
        }
        assertInstanceOf(CurrentRange.class, QuantSpec.weights(4).getObserver());
        assertInstanceOf(PaperScale.class, QuantSpec.paper(2).getScaleRule());
        assertEquals(1.5, ((PaperScale) QuantSpec.paper(2).getScaleRule()).getConstant(), 0.0);
        assertEquals(1e-5, ((PaperScale) QuantSpec.paper(2).getScaleRule()).getEpsilon(), 0.0);
        assertEquals("QuantSpec{8-bit ASYMMETRIC unsigned [0, 255] per-tensor, ste=CLIPPED, "
                + "range=MOVING_AVERAGE(c=0.01), freezeAfter=3}", QuantSpec.activations(8).toBuilder().freezeAfter(3)
                .build().toString());
        assertEquals("QuantSpec{4-bit SYMMETRIC [-8, 7] per-tensor, ste=IDENTITY, range=CURRENT, paper c=7.0}",
                QuantSpec.paper(4).toString());
        // one rule for "stateless only", with who needs it and why
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new FakeQuantActivation(QuantSpec.activations(8)));
        assertTrue(e.getMessage().contains("FakeQuantActivation") && e.getMessage().contains("MOVING_AVERAGE")
                && e.getMessage().contains("FakeQuantLayer"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new WeightQuantizer(QuantSpec.activations(8)));
        assertThrows(IllegalArgumentException.class,
                () -> io.github.sadam4j.qat.transform.QatPolicy.builder().weights(QuantSpec.activations(8)));
    }
}
