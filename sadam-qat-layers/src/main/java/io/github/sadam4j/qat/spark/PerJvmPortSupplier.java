package io.github.sadam4j.qat.spark;

import java.net.DatagramSocket;
import java.net.SocketException;
import org.nd4j.parameterserver.distributed.v2.transport.PortSupplier;

/**
 * One free UDP port per JVM for DL4J's gradient sharing ({@code SharedTrainingMaster}'s Aeron transport), chosen on
 * first use and kept: the driver and every executor get their own port, also when several share a host (DL4J's
 * {@code StaticPortSupplier} gives all of them the same one). Travels with the {@code VoidConfiguration}:
 * {@code VoidConfiguration.builder().portSupplier(new PerJvmPortSupplier())}.
 */
public final class PerJvmPortSupplier implements PortSupplier {
    private static final long serialVersionUID = 1L;
    private static int port;

    /**
     * @return this JVM's port
     * @throws IllegalStateException if no UDP port is free
     */
    @Override
    public int getPort() {
        synchronized (PerJvmPortSupplier.class) {
            if (port == 0) {
                try (DatagramSocket s = new DatagramSocket(0)) {
                    port = s.getLocalPort();
                } catch (SocketException e) {
                    throw new IllegalStateException("no free UDP port for DL4J's gradient sharing: " + e.getMessage(),
                            e);
                }
            }
            return port;
        }
    }
}
