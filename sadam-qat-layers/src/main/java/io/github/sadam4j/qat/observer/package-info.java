/**
 * Range observers: where a quantizer's range comes from, one type per rule ({@link
 * io.github.sadam4j.qat.observer.CurrentRange}, {@link io.github.sadam4j.qat.observer.FixedRange}, {@link
 * io.github.sadam4j.qat.observer.MeanAbsRange}, {@link io.github.sadam4j.qat.observer.MinMaxObserver}, {@link
 * io.github.sadam4j.qat.observer.MovingAverageObserver}), the state of the stateful ones ({@link
 * io.github.sadam4j.qat.observer.ObserverState}), the reductions they take ranges with ({@link
 * io.github.sadam4j.qat.observer.TensorRanges}), and the flat settings of the builder and of earlier JSON ({@link
 * io.github.sadam4j.qat.observer.RangeSettings}).
 */
package io.github.sadam4j.qat.observer;
