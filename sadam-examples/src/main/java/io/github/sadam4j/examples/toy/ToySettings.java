package io.github.sadam4j.examples.toy;

/**
 * The hyperparameters of a toy run. {@link #paper()} gives the authors' setting (docs/algorithm.md, section
 * "Synthetic 2-D problems"): 2000 steps from
 * (-1.5, 2), lr 0.01 for every optimizer, S-Adam k 5, sigma 0.01, lambda 5, decoupled weight decay 1e-2 for S-Adam and
 * AdamW (the reference defaults), Prox-SGD momentum 0.9 with l1 0.
 *
 * @param steps       optimisation steps, &gt;= 1
 * @param learningRate learning rate of every optimizer, &gt; 0
 * @param seed        seed of S-Adam's probe directions
 * @param probes      S-Adam k, &gt;= 1
 * @param sigma       S-Adam probe radius, &gt; 0
 * @param lambda      S-Adam damping strength, &gt;= 0
 * @param weightDecay decoupled weight decay of S-Adam and AdamW, &gt;= 0
 * @param momentum    Prox-SGD momentum, in [0, 1)
 * @param l1          Prox-SGD soft-threshold coefficient, &gt;= 0
 * @param startX      start x
 * @param startY      start y
 * @param probeInterval S-Adam's probe interval N, &gt;= 1 (1: probes at every step)
 */
public record ToySettings(int steps, double learningRate, long seed, int probes, double sigma, double lambda,
                          double weightDecay, double momentum, double l1, double startX, double startY,
                          int probeInterval) {

    /** Validates every value; the message names the bad value and the allowed range. */
    public ToySettings {
        require(steps >= 1, "steps", steps, ">= 1");
        require(learningRate > 0 && Double.isFinite(learningRate), "learning rate", learningRate, "> 0, finite");
        require(probes >= 1, "probes (k)", probes, ">= 1");
        require(sigma > 0 && Double.isFinite(sigma), "sigma", sigma, "> 0, finite");
        require(lambda >= 0 && Double.isFinite(lambda), "lambda", lambda, ">= 0, finite");
        require(weightDecay >= 0 && Double.isFinite(weightDecay), "weight decay", weightDecay, ">= 0, finite");
        require(momentum >= 0 && momentum < 1, "momentum", momentum, "[0, 1)");
        require(l1 >= 0 && Double.isFinite(l1), "l1", l1, ">= 0, finite");
        require(Double.isFinite(startX) && Double.isFinite(startY), "start", startX + "," + startY, "finite");
        require(probeInterval >= 1, "probe interval", probeInterval, ">= 1");
    }

    /** The settings with probes at every step; the parameters as in the record. */
    public ToySettings(int steps, double learningRate, long seed, int probes, double sigma, double lambda,
                       double weightDecay, double momentum, double l1, double startX, double startY) {
        this(steps, learningRate, seed, probes, sigma, lambda, weightDecay, momentum, l1, startX, startY, 1);
    }

    private static void require(boolean ok, String name, Object value, String allowed) {
        if (!ok) {
            throw new IllegalArgumentException(name + " = " + value + " is invalid: allowed " + allowed);
        }
    }

    /** @return the authors' setting */
    public static ToySettings paper() {
        return new ToySettings(2000, 0.01, 42L, 5, 0.01, 5.0, 1e-2, 0.9, 0.0, -1.5, 2.0);
    }
}
