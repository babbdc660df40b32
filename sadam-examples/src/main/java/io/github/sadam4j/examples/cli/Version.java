package io.github.sadam4j.examples.cli;

import picocli.CommandLine;

/**
 * The version every command prints with {@code -V} / {@code --version} ({@code versionProvider = Version.class}):
 * the jar's implementation version, or the development build's.
 */
public final class Version implements CommandLine.IVersionProvider {
    /** The version of a build without a jar manifest (tests, the IDE). */
    public static final String DEVELOPMENT = "0.1.0-SNAPSHOT";

    @Override
    public String[] getVersion() {
        return new String[]{"sadam4j examples " + text()};
    }

    /** @return the implementation version of the jar, or {@link #DEVELOPMENT} */
    public static String text() {
        String v = Version.class.getPackage().getImplementationVersion();
        return v == null ? DEVELOPMENT : v;
    }
}
