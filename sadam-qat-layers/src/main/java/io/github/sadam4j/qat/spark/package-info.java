/**
 * QAT range observers under Spark with DL4J's gradient sharing ({@code SharedTrainingMaster}), and what that needs.
 *
 * <p>A stateful range observer (a {@code FakeQuantLayer} with a running or moving-average range) commits its state
 * locally on each worker, never through the update vector: parameter averaging and ParallelWrapper average it with the
 * parameters, but gradient sharing builds the driver's network from encoded updates only, so the driver's observers
 * stay empty. {@link io.github.sadam4j.qat.spark.ObserverSync} brings the executors' states back:
 *
 * <pre>{@code
 * VoidConfiguration vc = VoidConfiguration.builder().portSupplier(new PerJvmPortSupplier())
 *         .controllerAddress(driverHost).networkMask("10.0.0.0/16").build();
 * SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(sc, net, new SharedTrainingMaster.Builder(vc, ...).build());
 * ObserverSync observers = new ObserverSync(sc);
 * sparkNet.setListeners(observers.listener());          // with SAdamProbes.listener() when training with S-Adam
 * sparkNet.fit(trainRdd);
 * observers.applyTo(sparkNet.getNetwork());            // the average of the executors' latest states, checked
 * }</pre>
 *
 * The other classes are what it is built from and are useful on their own: {@link
 * io.github.sadam4j.qat.spark.SparkCollector} (values that workers add and the driver reads, which reach the driver also
 * when DL4J trains inside a later task or on threads of its own), {@link io.github.sadam4j.qat.spark.SparkWorkers} (the
 * name of the executor and trainer thread running the caller) and {@link
 * io.github.sadam4j.qat.spark.PerJvmPortSupplier} (one UDP port per JVM for gradient sharing's transport).
 *
 * <p>Spark and DL4J's Spark modules are optional ({@code provided}) dependencies of sadam-qat-layers: a user of this
 * package has {@code spark-core_2.12} and {@code dl4j-spark-parameterserver_2.12} on the class path already.
 */
package io.github.sadam4j.qat.spark;
