package io.qrrefresher.common;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packages of src/main/java depend on each other in one direction: no package reaches itself again through its
 * imports. The root package (the configuration classes) may use every package; none may use it.
 */
class PackageCyclesTest {

    static final String ROOT = "io.qrrefresher";
    static final Pattern IMPORT = Pattern.compile("^import (?:static )?(io\\.qrrefresher(?:\\.[a-z]+)*)\\.[A-Z]",
            Pattern.MULTILINE);
    static final Pattern SAME_PACKAGE_REFERENCE = Pattern.compile("\\bio\\.qrrefresher((?:\\.[a-z]+)*)\\.[A-Z]");

    @Test
    void noPackageDependsOnItselfThroughOthers() throws IOException {
        Map<String, Set<String>> uses = dependencies();

        assertThat(uses).isNotEmpty();
        assertThat(cycles(uses)).isEmpty();
        uses.forEach((from, to) -> assertThat(to).as("%s uses the root package", from).doesNotContain(ROOT));
    }

    @Test
    void aCycleWouldBeFound() {
        Map<String, Set<String>> uses = new TreeMap<>(Map.of("a", Set.of("b"), "b", Set.of("c"), "c", Set.of("a"),
                "d", Set.of("a")));

        assertThat(cycles(uses)).containsExactly(List.of("a", "b", "c", "a"));
    }

    static Map<String, Set<String>> dependencies() throws IOException {
        Map<String, Set<String>> uses = new TreeMap<>();
        Path sources = Path.of("src/main/java");
        try (Stream<Path> files = Files.walk(sources)) {
            for (Path file : files.filter(path -> path.toString().endsWith(".java")).toList()) {
                String from = sources.relativize(file.getParent()).toString().replace('/', '.');
                String text = Files.readString(file);
                Set<String> to = uses.computeIfAbsent(from, key -> new TreeSet<>());
                Matcher imports = IMPORT.matcher(text);
                while (imports.find()) {
                    to.add(imports.group(1));
                }
                // fully qualified names in the code (io.qrrefresher.evolution.EvolutionCall.encodeSegment(...))
                Matcher references = SAME_PACKAGE_REFERENCE.matcher(text.replaceAll("(?m)^(package|import) .*$", ""));
                while (references.find()) {
                    to.add(ROOT + references.group(1));
                }
                to.remove(from);
            }
        }
        return uses;
    }

    /** Each cycle once, as the path from its smallest package back to it. */
    static List<List<String>> cycles(Map<String, Set<String>> uses) {
        List<List<String>> found = new ArrayList<>();
        for (String start : uses.keySet()) {
            walk(start, start, new ArrayList<>(List.of(start)), uses, found, new HashMap<>());
        }
        return found;
    }

    private static void walk(String start, String at, List<String> path, Map<String, Set<String>> uses,
                             List<List<String>> found, Map<String, Boolean> visited) {
        for (String next : uses.getOrDefault(at, Set.of())) {
            if (next.equals(start)) {
                List<String> cycle = new ArrayList<>(path);
                cycle.add(start);
                found.add(cycle);
            } else if (next.compareTo(start) > 0 && !path.contains(next) && visited.putIfAbsent(next, true) == null) {
                path.add(next);
                walk(start, next, path, uses, found, visited);
                path.remove(path.size() - 1);
            }
        }
    }
}
