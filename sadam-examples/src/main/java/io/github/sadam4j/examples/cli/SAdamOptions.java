package io.github.sadam4j.examples.cli;

import io.github.sadam4j.updater.SAdam;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/**
 * S-Adam's command-line options, declared once for every command that trains with it ({@code @Mixin} them):
 * {@code -k/--probes}, {@code --sigma}, {@code --lambda}, {@code --weight-decay} and {@code --probe-interval} (the last
 * defaults to the library's {@value SAdam#DEFAULT_PROBE_INTERVAL}, probes at every step, in every command). Each command has its own defaults
 * for them, with a reason, given by a {@link Defaults} subclass as the command's {@code defaultValueProvider} (its
 * {@code --help} shows them, and its description says why: {@link #RECIPE_HELP}, {@link #TOY_HELP}):
 *
 * <ul>
 *   <li>{@code qat}, {@code parallel}, {@code spark}, {@code keras-retrain}: k = 3, sigma 0.01, lambda 2, weight decay
 *   0.01, the paper's Fashion-MNIST recipe ({@link #RECIPE});</li>
 *   <li>{@code toy}: k = 5, sigma 0.01, lambda 5, weight decay 0.01, the authors' 2-D problems ({@link #TOY});</li>
 *   <li>the library's own {@code SAdam} defaults (k = {@value SAdam#DEFAULT_PROBES}, sigma {@value SAdam#DEFAULT_SIGMA},
 *   lambda {@value SAdam#DEFAULT_LAMBDA}) apply to code that builds S-Adam itself, never to these commands.</li>
 * </ul>
 */
public final class SAdamOptions {
    /** The paper's Fashion-MNIST recipe (docs/algorithm.md): the defaults of qat, parallel, spark, keras-retrain. */
    public static final Values RECIPE = new Values(3, 0.01, 2.0, 0.01);
    /** The authors' 2-D non-smooth problems (docs/algorithm.md, "Synthetic 2-D problems"): the defaults of toy. */
    public static final Values TOY = new Values(5, 0.01, 5.0, 0.01);
    /** Why {@link #RECIPE} applies, for a command's {@code --help} (a test keeps it equal to the values). */
    public static final String RECIPE_HELP = "S-Adam's defaults here: k = 3, sigma 0.01, lambda 2.0, weight decay "
            + "0.01: the paper's Fashion-MNIST recipe (docs/algorithm.md). The library's SAdam alone defaults to k = 2.";
    /** Why {@link #TOY} applies, for {@code toy --help} (a test keeps it equal to the values). */
    public static final String TOY_HELP = "S-Adam's defaults here: k = 5, sigma 0.01, lambda 5.0, weight decay 0.01: "
            + "the authors' setting of these 2-D problems (docs/algorithm.md). The library's SAdam alone defaults to "
            + "k = 2.";

    @Option(names = {"-k", "--probes"}, paramLabel = "K",
            description = "S-Adam: probe directions per step (k >= 2 for the loss probes). Default: ${DEFAULT-VALUE}.")
    int probes;

    @Option(names = "--sigma", paramLabel = "S", description = "S-Adam: probe radius. Default: ${DEFAULT-VALUE}.")
    double sigma;

    @Option(names = "--lambda", paramLabel = "L",
            description = "S-Adam: damping strength (alpha = exp(-lambda rho)). Default: ${DEFAULT-VALUE}.")
    double lambda;

    @Option(names = "--weight-decay", paramLabel = "WD",
            description = "Decoupled weight decay on weights and biases (S-Adam and the AdamW baselines). Default: "
                    + "${DEFAULT-VALUE}.")
    double weightDecay;

    @Option(names = "--probe-interval", paramLabel = "N", defaultValue = "" + SAdam.DEFAULT_PROBE_INTERVAL,
            description = "S-Adam: estimate the damping at the first step and every N-th step, reuse it between "
                    + "(lazy probing, docs/algorithm.md); 1 probes at every step. Default: ${DEFAULT-VALUE}.")
    int probeInterval;

    /**
     * A set of values of the four options.
     *
     * @param probes      k
     * @param sigma       probe radius
     * @param lambda      damping strength
     * @param weightDecay decoupled weight decay
     */
    public record Values(int probes, double sigma, double lambda, double weightDecay) {
        /** @return the values as the help texts say them, e.g. "k = 3, sigma 0.01, lambda 2.0, weight decay 0.01" */
        public String describe() {
            return String.format(Locale.ROOT, "k = %d, sigma %s, lambda %s, weight decay %s", probes, sigma, lambda,
                    weightDecay);
        }
    }

    /** @return k */
    public int probes() {
        return probes;
    }

    /** @return the probe radius */
    public double sigma() {
        return sigma;
    }

    /** @return the damping strength */
    public double lambda() {
        return lambda;
    }

    /** @return the decoupled weight decay */
    public double weightDecay() {
        return weightDecay;
    }

    /** @return S-Adam's probe interval N (1 = probes at every step) */
    public int probeInterval() {
        return probeInterval;
    }

    /** @return the values given (or defaulted) */
    public Values values() {
        return new Values(probes, sigma, lambda, weightDecay);
    }

    /** {@link #RECIPE} as a command's defaults: {@code @Command(defaultValueProvider = SAdamOptions.RecipeDefaults.class)}. */
    public static final class RecipeDefaults extends Defaults {
        /** picocli instantiates it. */
        public RecipeDefaults() {
            super(RECIPE);
        }
    }

    /** {@link #TOY} as a command's defaults: {@code @Command(defaultValueProvider = SAdamOptions.ToyDefaults.class)}. */
    public static final class ToyDefaults extends Defaults {
        /** picocli instantiates it. */
        public ToyDefaults() {
            super(TOY);
        }
    }

    /**
     * A command's defaults for these options: name a subclass with a no-argument constructor in
     * {@code @Command(defaultValueProvider = ...)}. Options of other mixins keep their annotation's defaults.
     */
    public abstract static class Defaults implements CommandLine.IDefaultValueProvider {
        private final Map<String, String> byOption;

        /** @param values the command's defaults */
        protected Defaults(Values values) {
            this.byOption = Map.of("--probes", Integer.toString(values.probes()), "--sigma",
                    Double.toString(values.sigma()), "--lambda", Double.toString(values.lambda()), "--weight-decay",
                    Double.toString(values.weightDecay()));
        }

        @Override
        public String defaultValue(ArgSpec argSpec) {
            return argSpec instanceof OptionSpec o ? byOption.get(o.longestName()) : null;
        }
    }
}
