package io.qrrefresher.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Memory figures of a JVM process, from Linux and from the JVM's own GC log ({@code -Xlog:gc:file=...}). */
final class ProcessMemory {

    /** "GC(12) Pause Young (Normal) (G1 Evacuation Pause) 120M->31M(256M) 4.1ms": used before -> after (capacity). */
    private static final Pattern PAUSE = Pattern.compile("(\\d+)([KMG])->(\\d+)([KMG])\\((\\d+)([KMG])\\)");

    /** The heap peak (used just before a collection, the most it held) and the largest live set after one, in MiB. */
    record HeapPeaks(long usedBeforeGcMb, long liveAfterGcMb, int collections) {
    }

    private ProcessMemory() {
    }

    /** The peak resident set size of the process (VmHWM), in KiB; -1 where /proc is not available. */
    static long rssPeakKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    static HeapPeaks heapPeaks(Path gcLog) throws IOException {
        long before = 0;
        long after = 0;
        int collections = 0;
        List<String> lines = Files.readAllLines(gcLog);
        for (String line : lines) {
            Matcher m = PAUSE.matcher(line);
            if (m.find()) {
                before = Math.max(before, mib(m.group(1), m.group(2)));
                after = Math.max(after, mib(m.group(3), m.group(4)));
                collections++;
            }
        }
        return new HeapPeaks(before, after, collections);
    }

    private static long mib(String value, String unit) {
        long n = Long.parseLong(value);
        return switch (unit) {
            case "K" -> n / 1024;
            case "G" -> n * 1024;
            default -> n;
        };
    }
}
