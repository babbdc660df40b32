package org.nd4j.nativeblas;

/**
 * A stand-in of the class DL4J 1.0.0-M2.1 looks up to decide whether its oneDNN layer helpers may run
 * ({@code BaseMKLDNNHelper.mklDnnEnabled()} loads {@code org.nd4j.nativeblas.Nd4jCpu$Environment} by name). The class
 * moved to {@code org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu} in that release, so without this stand-in DL4J logs
 * an error and never uses oneDNN for convolutions and pooling. See {@link io.github.sadam4j.onednn.OneDnn}.
 *
 * <p>It has no compile-time dependency on the native backend (everything by reflection), and it answers true only
 * when the loaded libnd4j was built with oneDNN ({@code HAVE_ONEDNN} in {@code Nd4j.getBackend().buildInfo()}) and its
 * oneDNN switch is on: on the generic {@code nd4j-native} build the switch alone also reads true, and DL4J would then
 * route convolutions through libnd4j's generic ops instead of its own path.
 */
public final class Nd4jCpu {
    private Nd4jCpu() {
    }

    /** What DL4J asks: {@code getInstance().isUseMKLDNN()}. */
    public static final class Environment {
        private static final Environment INSTANCE = new Environment();
        private static volatile Boolean buildHasOneDnn;

        private Environment() {
        }

        /** @return the one instance */
        public static Environment getInstance() {
            return INSTANCE;
        }

        /** @return true when DL4J may use its oneDNN helpers: a oneDNN build with oneDNN switched on */
        public boolean isUseMKLDNN() {
            try {
                if (buildHasOneDnn == null) {
                    Class<?> nd4j = Class.forName("org.nd4j.linalg.factory.Nd4j");
                    Object backend = nd4j.getMethod("getBackend").invoke(null);
                    String info = (String) backend.getClass().getMethod("buildInfo").invoke(backend);
                    buildHasOneDnn = info != null && info.contains("HAVE_ONEDNN");
                }
                if (!buildHasOneDnn) {
                    return false;
                }
                Class<?> c = Class.forName("org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment");
                Object env = c.getMethod("getInstance").invoke(null);
                return (Boolean) c.getMethod("isUseONEDNN").invoke(env);
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                return false;
            }
        }

        /** @return the same as {@link #isUseMKLDNN()} (the later name of the switch) */
        public boolean isUseONEDNN() {
            return isUseMKLDNN();
        }
    }
}
