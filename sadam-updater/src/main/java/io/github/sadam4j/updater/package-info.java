/** S-Adam for Deeplearning4j. */
package io.github.sadam4j.updater;
