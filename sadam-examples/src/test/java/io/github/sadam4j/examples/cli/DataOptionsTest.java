package io.github.sadam4j.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.sadam4j.examples.data.FashionMnist;
import java.io.IOException;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** The limits a command gives as its default apply only when the user gave none (the embedded subset, no files). */
class DataOptionsTest {
    @Command(name = "probe")
    static final class Probe implements Callable<Integer> {
        @Mixin
        DataOptions data;
        FashionMnist loaded;
        Integer defaultTrain;
        Integer defaultTest;

        @Override
        public Integer call() throws IOException {
            loaded = data.load(defaultTrain, defaultTest);
            return 0;
        }
    }

    private static FashionMnist load(Integer defaultTrain, Integer defaultTest, String... args) {
        Probe p = new Probe();
        p.defaultTrain = defaultTrain;
        p.defaultTest = defaultTest;
        assertEquals(0, new CommandLine(p).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
        return p.loaded;
    }

    @Test
    void commandDefaultsApplyUnlessTheUserGaveLimits() {
        FashionMnist d = load(1000, 200, "--dataset", "embedded");
        assertEquals(1000, d.train().count());
        assertEquals(200, d.test().count());
        assertEquals(100, d.train().classCounts()[3], "stratified");
        FashionMnist explicit = load(1000, 200, "--dataset", "embedded", "--train-limit", "300");
        assertEquals(300, explicit.train().count(), "--train-limit wins over the command's default");
        assertEquals(200, explicit.test().count());
        FashionMnist larger = load(12000, null, "--dataset", "embedded");
        assertEquals(2000, larger.train().count(), "a default above the split's size keeps the whole split");
        assertEquals(500, larger.test().count());
        assertEquals(2000, load(null, null, "--dataset", "embedded").train().count());
    }
}
