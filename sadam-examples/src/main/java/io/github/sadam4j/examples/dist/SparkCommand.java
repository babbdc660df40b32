package io.github.sadam4j.examples.dist;

import org.apache.spark.SparkConf;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sadam4j spark}: the {@code qat} experiment on Spark with DL4J's training masters. See docs/distributed.md. */
@Command(name = "spark", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "The qat experiment trained on Spark with DL4J's own training masters.",
            "Every option of qat applies (--bits, --optimizers, --seeds, --epochs, ...). Default: Spark in this JVM "
                    + "(local[N], N = cores; no cluster needed); --master URL for a real cluster (or run under "
                    + "spark-submit: docs/distributed.md has the command, the jars and the JVM flags). Each worker "
                    + "gets S-Adam's probes; their steps come back to the driver for the tables, plots and "
                    + "workers.csv/.md (per run and worker, how many steps used the loss probes, with a WARNING for "
                    + "any S-Adam step that did not)."},
        footer = {"", "Examples:",
            "  sadam4j spark                                   # parameter averaging, local[cores]",
            "  sadam4j spark --training-master sharing         # gradient sharing",
            "  sadam4j spark --master spark://host:7077 --workers 8 --kryo"})
public final class SparkCommand extends DistributedCommand {
    @Option(names = "--master", paramLabel = "URL",
            description = "Spark master. Default: the one spark-submit set, else local[N] (N = cores) for averaging "
                    + "and local[1] for sharing (DL4J trains one network per JVM there; the workers are threads).")
    String master;

    @Option(names = "--training-master", defaultValue = "averaging", paramLabel = "averaging|sharing",
            converter = MasterConverter.class,
            description = "DL4J training master: averaging (ParameterAveragingTrainingMaster) or sharing "
                    + "(SharedTrainingMaster, gradient sharing). Default: ${DEFAULT-VALUE}.")
    SparkFit.Master trainingMaster;

    @Option(names = "--kryo", description = "Kryo serialization (with ND4J's registrator) instead of Java's.")
    boolean kryo;

    @Option(names = "--network-mask", paramLabel = "CIDR", defaultValue = "127.0.0.0/8",
            description = "Gradient sharing on a cluster: the network the driver and executors talk on. Default: "
                    + "${DEFAULT-VALUE}.")
    String networkMask;

    @Override
    protected String commandName() {
        return "spark";
    }

    @Override
    protected DistributedFit createFit(int workers, int averagingFrequency) {
        // SharedTrainingMaster's Aeron transport: the publication timeout must exceed DL4J's 30 s client liveness
        String aeron = "aeron.publication.unblock.timeout";
        if (System.getProperty(aeron) == null) {
            System.setProperty(aeron, "60000000000");
        }
        SparkConf conf = new SparkConf().setAppName("sadam4j spark").set("sadam4j.networkMask", networkMask);
        if (master != null) {
            conf.setMaster(master);
        } else if (!conf.contains("spark.master")) {   // spark-submit sets it
            conf.setMaster(trainingMaster == SparkFit.Master.SHARING ? "local[1]" : "local[" + workers + "]");
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
        return new SparkFit(conf, trainingMaster, workers, averagingFrequency, batchSize());
    }

    /** picocli converter of "averaging" / "sharing". */
    static final class MasterConverter implements CommandLine.ITypeConverter<SparkFit.Master> {
        @Override
        public SparkFit.Master convert(String value) {
            return switch (value.toLowerCase(java.util.Locale.ROOT)) {
                case "averaging" -> SparkFit.Master.AVERAGING;
                case "sharing" -> SparkFit.Master.SHARING;
                default -> throw new CommandLine.TypeConversionException("'" + value
                        + "' is not a training master: allowed averaging, sharing");
            };
        }
    }
}
