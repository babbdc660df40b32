package io.github.sadam4j.examples.data;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** {@link Fetcher} over HTTP(S) with the JDK client: follows redirects, fails on any status other than 200. */
public final class HttpFetcher implements Fetcher {
    private final HttpClient client;
    private final Duration requestTimeout;

    /** Connect timeout 15 s, whole-request timeout 10 min. */
    public HttpFetcher() {
        this(Duration.ofSeconds(15), Duration.ofMinutes(10));
    }

    /**
     * @param connectTimeout connect timeout
     * @param requestTimeout timeout of the whole request
     */
    public HttpFetcher(Duration connectTimeout, Duration requestTimeout) {
        this.client = HttpClient.newBuilder()
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build();
        this.requestTimeout = requestTimeout;
    }

    @Override
    public void fetch(URI source, Path target) throws IOException {
        HttpRequest request = HttpRequest.newBuilder(source).timeout(requestTimeout).GET().build();
        HttpResponse<Path> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofFile(target));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("download of " + source + " interrupted");
        }
        if (response.statusCode() != 200) {
            Files.deleteIfExists(target);
            throw new IOException("HTTP " + response.statusCode() + " for " + source);
        }
    }
}
