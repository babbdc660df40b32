package io.github.sadam4j.examples.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);

    private String output() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private void advanceSeconds(double s) {
        clock.addAndGet((long) (s * 1e9));
    }

    @Test
    void etaIsTheRemainingWorkAtTheAverageRate() {
        ProgressBar bar = new ProgressBar("qat", 100, ProgressBar.Mode.OFF, out, clock::get);
        assertEquals("--:--", bar.eta(clock.get()));
        advanceSeconds(10);
        bar.stepBy(25, "loss 1.0");
        assertEquals("00:30", bar.eta(clock.get()), "25 steps in 10 s: 75 more take 30 s");
        assertEquals("qat  25% 25/100 00:10<00:30  loss 1.0", bar.render(clock.get(), false));
        bar.close();
        assertEquals("", output(), "OFF prints nothing");
    }

    @Test
    void noEtaUntilFivePercentOfTheWorkIsDone() {
        // issue 16: spark --training-master sharing showed "0% 1/300 01:33<7:47:17": its first step carries Spark's
        // start-up and its steps arrive in bursts, so one step says nothing about the rest
        ProgressBar bar = new ProgressBar("spark", 300, ProgressBar.Mode.OFF, out, clock::get);
        advanceSeconds(93);
        bar.stepBy(1, null);
        assertEquals("spark   0% 1/300 01:33<--:--", bar.render(clock.get(), false));
        bar.stepBy(13, null);
        assertEquals("--:--", bar.eta(clock.get()), "14 of 300 steps: still under 5%");
        bar.stepBy(1, null);
        assertEquals("29:27", bar.eta(clock.get()), "15 steps in 93 s: 285 more take 1767 s");
    }

    @Test
    void lanesOfRunsSideBySideShareTheCountAndShowEachStatus() throws Exception {
        ProgressBar bar = new ProgressBar("qat", 2000, ProgressBar.Mode.OFF, out, clock::get);
        ProgressBar.Lane a = bar.lane("sadam-seed42");
        ProgressBar.Lane b = bar.lane("adamw-seed42");
        Thread ta = new Thread(() -> {
            for (int i = 0; i < 1000; i++) {
                a.step("loss " + i);
            }
        });
        Thread tb = new Thread(() -> {
            for (int i = 0; i < 500; i++) {
                b.step("loss " + i);
            }
        });
        ta.start();
        tb.start();
        ta.join();
        tb.join();
        assertEquals(1500, bar.done(), "every step of both lanes counted");
        assertEquals("qat  75% 1500/2000 00:00<00:00  sadam-seed42 loss 999 | adamw-seed42 loss 499",
                bar.render(clock.get(), false));
        a.close();
        assertEquals("qat  75% 1500/2000 00:00<00:00  adamw-seed42 loss 499", bar.render(clock.get(), false),
                "a finished run leaves the line");
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> bar.lane("adamw-seed42"), "one lane per name");
    }

    @Test
    void durationsAreFormatted() {
        assertEquals("00:00", ProgressBar.formatDuration(0));
        assertEquals("01:05", ProgressBar.formatDuration(65));
        assertEquals("1:00:01", ProgressBar.formatDuration(3601));
        assertEquals("00:00", ProgressBar.formatDuration(-4));
    }

    @Test
    void lineModePrintsPlainLinesAtEveryTenthAndEveryThirtySeconds() {
        ProgressBar bar = new ProgressBar("toy", 1000, ProgressBar.Mode.LINES, out, clock::get);
        for (int i = 0; i < 250; i++) {
            advanceSeconds(0.01);
            bar.step("f " + i);
        }
        String[] lines = output().split("\n");
        assertEquals(2, lines.length, output());
        assertTrue(lines[0].startsWith("toy  10% 100/1000"), lines[0]);
        assertTrue(lines[1].startsWith("toy  20% 200/1000"), lines[1]);
        assertTrue(lines[1].endsWith("f 199"), lines[1]);
        assertFalse(output().contains("\r"), "no carriage returns outside a terminal");
        advanceSeconds(31); // slow step: a line even without a new tenth
        bar.step(null);
        assertEquals(3, output().split("\n").length);
        assertTrue(output().split("\n")[2].startsWith("toy  25% 251/1000 00:33<01:40"), output());
        bar.step(null);
        assertEquals(3, output().split("\n").length);
        bar.close();
        String[] all = output().split("\n");
        assertEquals(4, all.length);
        assertTrue(all[3].startsWith("toy  25% 252/1000"), "final state on close: " + all[3]);
        bar.step(null);
        assertEquals(4, output().split("\n").length, "closed: ignored");
    }

    @Test
    void barModeRedrawsInPlaceAtMostFiveTimesASecond() {
        ProgressBar bar = new ProgressBar("run", 10, ProgressBar.Mode.BAR, out, clock::get);
        bar.step("a"); // first step draws
        bar.step("b"); // same instant: throttled
        advanceSeconds(0.3);
        bar.step("c");
        assertEquals(2, output().chars().filter(c -> c == '\r').count(), output());
        assertTrue(output().contains("run [======>                 ]  30% 3/10"), output());
        assertTrue(output().endsWith("  c"), output());
        bar.println("a message");
        assertTrue(output().contains("a message\n"));
        bar.close();
        assertTrue(output().endsWith("\n"));
        assertFalse(bar.done() > 10);
    }

    @Test
    void autoResolvesToLinesWithoutAConsole() {
        // surefire forks the test JVM with piped standard streams: no console
        assertEquals(ProgressBar.Mode.LINES, ProgressBar.Mode.AUTO.resolve());
        assertEquals(ProgressBar.Mode.OFF, ProgressBar.Mode.OFF.resolve());
        assertEquals(ProgressBar.Mode.LINES, new ProgressBar("x", 1, ProgressBar.Mode.AUTO, out, clock::get).mode());
    }
}
