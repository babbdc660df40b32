package io.github.sadam4j.examples.data;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;

/** Downloads one URL into a file; injectable so that tests and other transports can replace HTTP. */
@FunctionalInterface
public interface Fetcher {
    /**
     * @param source the URL
     * @param target the file to (over)write with the response body
     * @throws IOException if the download fails for any reason (network, HTTP status, disk)
     */
    void fetch(URI source, Path target) throws IOException;
}
