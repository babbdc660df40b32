/** Value schedules (learning rates) that DL4J 1.0.0-M2.1 lacks, as ND4J {@code ISchedule}s. */
package io.github.sadam4j.updater.schedule;
