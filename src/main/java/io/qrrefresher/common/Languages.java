package io.qrrefresher.common;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The texts people read on the link page and in the widget, per language: en, pt-BR and es are built in
 * ({@code i18n/<lang>.json}); LANGUAGES_DIR adds a language, or changes a built-in one's texts, with one
 * {@code <lang>.json} file each. A text a file leaves out is the English one. Which language a page speaks:
 * {@link #choose}.
 */
public final class Languages {

    public static final String DEFAULT = "en";
    public static final List<String> BUILT_IN = List.of("en", "pt-BR", "es");
    private static final Pattern TAG = Pattern.compile("[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}");
    private static final int MAX_FILE_BYTES = 65_536;
    private static final int MAX_ACCEPT_LANGUAGE = 512;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, Map<String, String>> texts;

    private Languages(Map<String, Map<String, String>> texts) {
        this.texts = texts;
    }

    /** The built-in languages, and those of {@code folder} (LANGUAGES_DIR) when given; a bad file fails the start. */
    public static Languages load(Optional<Path> folder) {
        Map<String, Map<String, String>> texts = new LinkedHashMap<>();
        for (String tag : BUILT_IN) {
            try (InputStream in = Languages.class.getResourceAsStream("/i18n/" + tag + ".json")) {
                if (in == null) {
                    throw new IllegalStateException("i18n/" + tag + ".json is missing from the jar");
                }
                texts.put(tag, read(in.readAllBytes(), "i18n/" + tag + ".json", null));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        Map<String, String> english = texts.get(DEFAULT);
        if (folder.isPresent()) {
            List<Path> files;
            try (Stream<Path> listed = Files.list(folder.get())) {
                files = listed.filter(file -> file.getFileName().toString().endsWith(".json"))
                        .sorted(Comparator.comparing(Path::toString)).toList();
            } catch (IOException e) {
                throw new IllegalArgumentException("LANGUAGES_DIR cannot be read: " + e.getMessage(), e);
            }
            for (Path file : files) {
                String name = file.getFileName().toString();
                String tag = name.substring(0, name.length() - ".json".length());
                if (!TAG.matcher(tag).matches()) {
                    throw new IllegalArgumentException("LANGUAGES_DIR: " + name + " is not named after a language tag"
                            + " (such as fr.json or pt-PT.json)");
                }
                String known = find(texts, tag).filter(existing -> existing.equalsIgnoreCase(tag)).orElse(tag);
                byte[] bytes;
                try {
                    if (Files.size(file) > MAX_FILE_BYTES) {
                        throw new IllegalArgumentException("LANGUAGES_DIR: " + name + " is larger than 64 KiB");
                    }
                    bytes = Files.readAllBytes(file);
                } catch (IOException e) {
                    throw new IllegalArgumentException("LANGUAGES_DIR: " + name + " cannot be read: " + e.getMessage(), e);
                }
                Map<String, String> merged = new LinkedHashMap<>(texts.getOrDefault(known, english));
                merged.putAll(read(bytes, "LANGUAGES_DIR/" + name, english));
                texts.put(known, merged);
            }
        }
        for (Map.Entry<String, Map<String, String>> language : texts.entrySet()) {
            Map<String, String> complete = new LinkedHashMap<>(english);
            complete.putAll(language.getValue());
            language.setValue(Map.copyOf(complete));
        }
        return new Languages(Map.copyOf(texts));
    }

    private static Map<String, String> read(byte[] bytes, String what, Map<String, String> known) {
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (IOException e) {
            throw new IllegalArgumentException(what + " is not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(what + " must be a JSON object of texts {\"key\": \"text\"}");
        }
        Map<String, String> texts = new LinkedHashMap<>();
        var fields = root.fields();
        while (fields.hasNext()) {
            var field = fields.next();
            if (known != null && !known.containsKey(field.getKey())) {
                throw new IllegalArgumentException(what + ": unknown text \"" + field.getKey()
                        + "\" (the keys are those of the built-in en.json, docs/languages.md)");
            }
            if (!field.getValue().isTextual()) {
                throw new IllegalArgumentException(what + ": \"" + field.getKey() + "\" must be a string");
            }
            texts.put(field.getKey(), field.getValue().asText());
        }
        return texts;
    }

    /** The languages there are, built-in first. */
    public List<String> tags() {
        List<String> tags = new ArrayList<>(BUILT_IN);
        texts.keySet().stream().filter(tag -> !BUILT_IN.contains(tag)).sorted().forEach(tags::add);
        return tags;
    }

    /** The language {@code tag} names among those there are (pt, pt-PT and pt-br name pt-BR), if any. */
    public Optional<String> find(String tag) {
        return tag == null || !TAG.matcher(tag.trim()).matches() ? Optional.empty() : find(texts, tag.trim());
    }

    private static Optional<String> find(Map<String, ?> texts, String tag) {
        for (String known : texts.keySet()) {
            if (known.equalsIgnoreCase(tag)) {
                return Optional.of(known);
            }
        }
        String primary = tag.split("-")[0];
        return texts.keySet().stream().filter(known -> known.split("-")[0].equalsIgnoreCase(primary)).findFirst();
    }

    /**
     * The language of a page: {@code requested} (the link's {@code lang}) when there is such a language, else the
     * first of the browser's {@code Accept-Language} there is (by weight), else English.
     */
    public String choose(String requested, String acceptLanguage) {
        Optional<String> chosen = find(requested);
        if (chosen.isPresent()) {
            return chosen.get();
        }
        if (acceptLanguage != null) {
            String header = acceptLanguage.length() > MAX_ACCEPT_LANGUAGE
                    ? acceptLanguage.substring(0, MAX_ACCEPT_LANGUAGE) : acceptLanguage;
            record Weighted(String tag, double weight, int order) {
            }
            List<Weighted> wanted = new ArrayList<>();
            String[] ranges = header.split(",", 21);
            for (int i = 0; i < Math.min(ranges.length, 20); i++) {
                String[] parts = ranges[i].trim().split(";");
                double weight = 1;
                for (int p = 1; p < parts.length; p++) {
                    String parameter = parts[p].trim();
                    if (parameter.startsWith("q=")) {
                        try {
                            weight = Double.parseDouble(parameter.substring(2));
                        } catch (NumberFormatException e) {
                            weight = 0;
                        }
                    }
                }
                if (weight > 0) {
                    wanted.add(new Weighted(parts[0].trim(), weight, i));
                }
            }
            wanted.sort(Comparator.comparingDouble(Weighted::weight).reversed().thenComparingInt(Weighted::order));
            for (Weighted range : wanted) {
                Optional<String> found = find(range.tag());
                if (found.isPresent()) {
                    return found.get();
                }
            }
        }
        return DEFAULT;
    }

    /** The texts of {@code tag} (one of {@link #tags()}), every key present. */
    public Map<String, String> texts(String tag) {
        return texts.getOrDefault(tag, texts.get(DEFAULT));
    }

    /** Every language's texts, as one JSON object {"en": {...}, "pt-BR": {...}}: what the widget carries. */
    public String json() {
        Map<String, Map<String, String>> ordered = new LinkedHashMap<>();
        for (String tag : tags()) {
            ordered.put(tag, new java.util.TreeMap<>(texts.get(tag)));
        }
        try {
            return JSON.writeValueAsString(ordered);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code text} with each {@code {name}} replaced by its value (values are plain text: escape where it goes). */
    public static String fill(String text, Map<String, String> values) {
        String filled = text;
        for (Map.Entry<String, String> value : values.entrySet()) {
            filled = filled.replace("{" + value.getKey() + "}", value.getValue());
        }
        return filled;
    }

    @Override
    public String toString() {
        return "Languages" + tags();
    }
}
