/**
 * The QAT transform: {@link io.github.sadam4j.qat.transform.QatTransform} turns a configuration or a trained
 * MultiLayerNetwork / ComputationGraph (including Keras imports) into its QAT twin according to a
 * {@link io.github.sadam4j.qat.transform.QatPolicy}.
 */
package io.github.sadam4j.qat.transform;
