/**
 * oneDNN convolutions for Deeplearning4j 1.0.0-M2.1: the stand-in class that lets DL4J's layer helpers run, the switch
 * ({@link io.github.sadam4j.onednn.OneDnn#enable()}), a report of what each layer runs, and the workaround for the
 * helper path's stale weight-noise cache.
 */
package io.github.sadam4j.onednn;
