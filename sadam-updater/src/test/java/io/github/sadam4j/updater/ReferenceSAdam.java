package io.github.sadam4j.updater;

import java.util.function.ToDoubleFunction;

/**
 * A plain-Java float64 implementation of docs/algorithm.md, section "One step (reference semantics)", written
 * independently of
 * the DL4J implementation: it is the ground truth the tests compare against. Parameters are a list of tensors, each a
 * flat double array; the loss is a black-box function of all tensors.
 */
final class ReferenceSAdam {
    final double lr;
    final double beta1;
    final double beta2;
    final double eps;
    final int k;
    final double sigma;
    final double lambda;
    final double epsS;
    final double cap;
    final double wd;
    /** The probe interval n: rho is estimated at step 1 and every n-th step, reused in between (1 = every step). */
    final int interval;
    final double[][] m;
    final double[][] v;
    int t;
    double lastRho;
    double lastAlpha;
    double[] lastD;
    /** Whether the latest step estimated rho (false: it reused the damping of the latest probing step). */
    boolean lastProbed;
    /** The damping reused between probing steps: 1 before the first probing step (the authors' rule). */
    private double cachedRho;
    private double cachedAlpha = 1.0;

    ReferenceSAdam(double lr, double beta1, double beta2, double eps, int k, double sigma, double lambda,
                   double epsS, double cap, double wd, double[][] shapeLike) {
        this(lr, beta1, beta2, eps, k, sigma, lambda, epsS, cap, wd, 1, shapeLike);
    }

    ReferenceSAdam(double lr, double beta1, double beta2, double eps, int k, double sigma, double lambda,
                   double epsS, double cap, double wd, int interval, double[][] shapeLike) {
        this.interval = interval;
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.k = k;
        this.sigma = sigma;
        this.lambda = lambda;
        this.epsS = epsS;
        this.cap = cap;
        this.wd = wd;
        this.m = new double[shapeLike.length][];
        this.v = new double[shapeLike.length][];
        for (int j = 0; j < shapeLike.length; j++) {
            m[j] = new double[shapeLike[j].length];
            v[j] = new double[shapeLike[j].length];
        }
    }

    /**
     * One step, in place.
     *
     * @param theta parameters (tensors), updated in place
     * @param grad  gradient of the data loss at theta
     * @param loss  data loss oracle
     * @param z     raw Gaussian draws z[i][j][..] for probe i, tensor j (normalised here per tensor); unused on a step
     *              that reuses the damping
     */
    void step(double[][] theta, double[][] grad, ToDoubleFunction<double[][]> loss, double[][][] z) {
        t++;
        double rho = 0;
        double alpha;
        lastProbed = lambda > 0 && k >= 2 && (t == 1 || t % interval == 0);
        if (lambda > 0 && k >= 2 && !lastProbed) {
            rho = cachedRho;
            alpha = cachedAlpha;
            lastD = new double[0];
        } else if (lambda > 0 && k >= 2) {
            double l0 = loss.applyAsDouble(theta);
            double[] d = new double[k];
            for (int i = 0; i < k; i++) {
                double[][] perturbed = new double[theta.length][];
                for (int j = 0; j < theta.length; j++) {
                    double norm = 0;
                    for (double x : z[i][j]) {
                        norm += x * x;
                    }
                    norm = Math.sqrt(norm);
                    perturbed[j] = theta[j].clone();
                    for (int e = 0; e < theta[j].length; e++) {
                        perturbed[j][e] += sigma * z[i][j][e] / (norm + 1e-12);
                    }
                }
                d[i] = (loss.applyAsDouble(perturbed) - l0) / sigma;
            }
            double mean = 0;
            double sq = 0;
            for (double x : d) {
                mean += x;
                sq += x * x;
            }
            mean /= k;
            sq /= k;
            double var = 0;
            for (double x : d) {
                var += (x - mean) * (x - mean);
            }
            var /= (k - 1);
            rho = Math.min(var / (sq + epsS), cap);
            lastD = d;
            alpha = Math.exp(-lambda * rho);
            cachedRho = rho;
            cachedAlpha = alpha;
        } else {
            lastD = new double[0];
            alpha = Math.exp(-lambda * rho);
        }
        lastRho = rho;
        lastAlpha = alpha;
        double stepSize = lr * alpha * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t));
        for (int j = 0; j < theta.length; j++) {
            for (int e = 0; e < theta[j].length; e++) {
                theta[j][e] *= (1 - lr * wd);
                double g = grad[j][e];
                m[j][e] = beta1 * m[j][e] + (1 - beta1) * g;
                v[j][e] = beta2 * v[j][e] + (1 - beta2) * g * g;
                theta[j][e] -= stepSize * m[j][e] / (Math.sqrt(v[j][e]) + eps);
            }
        }
    }
}
