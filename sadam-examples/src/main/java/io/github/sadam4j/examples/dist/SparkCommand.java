package io.github.sadam4j.examples.dist;

import io.github.sadam4j.examples.cli.SAdamOptions;
import io.github.sadam4j.examples.cli.Version;
import io.github.sadam4j.examples.qat.QatExperiment;
import io.github.sadam4j.examples.qat.QatOptions;
import io.github.sadam4j.examples.qat.QatPlan;
import java.util.concurrent.Callable;
import org.apache.spark.SparkConf;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sadam4j spark}: the {@code qat} experiment ({@link QatExperiment}) on Spark with DL4J's training masters
 * ({@link SparkEngine}). See docs/distributed.md.
 */
@Command(name = "spark", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        defaultValueProvider = SAdamOptions.RecipeDefaults.class,
        description = {
            "The qat experiment trained on Spark with DL4J's own training masters.",
            "Every option of qat applies (--bits, --optimizers, --seeds, --epochs, ...). Default: Spark in this JVM "
                    + "(local[N], N = cores; no cluster needed); --master URL for a real cluster (or run under "
                    + "spark-submit: docs/distributed.md has the command, the jars and the JVM flags). Each worker "
                    + "gets S-Adam's probes; their steps come back to the driver for the tables, plots and "
                    + "workers.csv/.md (per run, how many of the configured workers trained; per worker, how many "
                    + "steps used the loss probes, with a WARNING for any S-Adam step that did not). Spark's and "
                    + "Hadoop's INFO logs are off; 'sadam4j --verbose spark ...' shows them.",
            SAdamOptions.RECIPE_HELP},
        footer = {"", "Examples:",
            "  sadam4j spark                                   # parameter averaging, local[cores]",
            "  sadam4j spark --training-master sharing         # gradient sharing",
            "  sadam4j spark --master spark://host:7077 --workers 8 --kryo"})
public final class SparkCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    QatOptions options;

    @Mixin
    DistributedOptions engine;

    @Option(names = "--master", paramLabel = "URL",
            description = "Spark master. Default: the one spark-submit set, else local[N] (N = cores) for averaging "
                    + "and local[1] for sharing (DL4J trains one network per JVM there; the workers are threads).")
    String master;

    @Option(names = "--training-master", defaultValue = "averaging", paramLabel = "averaging|sharing",
            converter = MasterConverter.class,
            description = "DL4J training master: averaging (ParameterAveragingTrainingMaster) or sharing "
                    + "(SharedTrainingMaster, gradient sharing). Default: ${DEFAULT-VALUE}.")
    SparkEngine.Master trainingMaster;

    @Option(names = "--kryo", description = "Kryo serialization (with ND4J's registrator) instead of Java's.")
    boolean kryo;

    @Option(names = "--network-mask", paramLabel = "CIDR", defaultValue = "127.0.0.0/8",
            description = "Gradient sharing on a cluster: the network the driver and executors talk on. Default: "
                    + "${DEFAULT-VALUE}.")
    String networkMask;

    @Override
    public Integer call() throws Exception {
        QatPlan plan = options.plan();
        engine.validate(1);
        return new QatExperiment("spark", options, plan, createEngine(engine.workers(), engine.averagingFrequency(),
                plan.settings().batchSize()), spec, false).run();
    }

    private SparkEngine createEngine(int workers, int averagingFrequency, int batchSize) {
        // SharedTrainingMaster's Aeron transport: the publication timeout must exceed DL4J's 30 s client liveness
        String aeron = "aeron.publication.unblock.timeout";
        if (System.getProperty(aeron) == null) {
            System.setProperty(aeron, "60000000000");
        }
        SparkConf conf = new SparkConf().setAppName("sadam4j spark").set("sadam4j.networkMask", networkMask);
        if (master != null) {
            conf.setMaster(master);
        } else if (!conf.contains("spark.master")) {   // spark-submit sets it
            conf.setMaster(trainingMaster == SparkEngine.Master.SHARING ? "local[1]" : "local[" + workers + "]");
        }
        if (conf.get("spark.master").startsWith("local")) {
            conf.set("spark.ui.enabled", "false").setIfMissing("spark.driver.host", "127.0.0.1")
                    .setIfMissing("spark.driver.bindAddress", "127.0.0.1");
        }
        String executorOptions = conf.get("spark.executor.extraJavaOptions", "");
        if (!executorOptions.contains(aeron)) {
            conf.set("spark.executor.extraJavaOptions", (executorOptions + " -D" + aeron + "=60000000000").trim());
        }
        conf.setExecutorEnv("OMP_NUM_THREADS", "1");
        if (kryo) {
            conf.set("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
                    .set("spark.kryo.registrator", "org.nd4j.kryo.Nd4jRegistrator");
        }
        return new SparkEngine(conf, trainingMaster, workers, averagingFrequency, batchSize);
    }

    /** picocli converter of "averaging" / "sharing". */
    static final class MasterConverter implements CommandLine.ITypeConverter<SparkEngine.Master> {
        @Override
        public SparkEngine.Master convert(String value) {
            return switch (value.toLowerCase(java.util.Locale.ROOT)) {
                case "averaging" -> SparkEngine.Master.AVERAGING;
                case "sharing" -> SparkEngine.Master.SHARING;
                default -> throw new CommandLine.TypeConversionException("'" + value
                        + "' is not a training master: allowed averaging, sharing");
            };
        }
    }
}
