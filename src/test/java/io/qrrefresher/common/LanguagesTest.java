package io.qrrefresher.common;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Which language a page speaks, and the texts of each, as tables. */
class LanguagesTest {

    final Languages languages = Languages.load(Optional.empty());

    @Test
    void theLinksLanguageThenTheBrowsersByWeightThenEnglish() {
        String[][] table = {
                // link's lang, Accept-Language, chosen
                {"es", "pt-BR,pt;q=0.9", "es"},
                {null, "pt-BR,pt;q=0.9,en;q=0.8", "pt-BR"},
                {null, "pt-PT", "pt-BR"},
                {null, "pt", "pt-BR"},
                {null, "es-MX,es;q=0.9", "es"},
                {null, "fr-FR,fr;q=0.9,es;q=0.5", "es"},
                {null, "en;q=0.1,es;q=0.9", "es"},
                {null, "es;q=0,pt-BR;q=0.2", "pt-BR"},
                {null, "de-DE", "en"},
                {null, null, "en"},
                {null, "*", "en"},
                {"xx", "es", "es"},
                {"PT-br", null, "pt-BR"},
                {null, "q=1;;;,,,,", "en"},
                {null, "de," .repeat(500) + "es", "en"}};
        for (String[] row : table) {
            assertThat(languages.choose(row[0], row[1])).as("%s / %s", row[0], row[1]).isEqualTo(row[2]);
        }
    }

    @Test
    void everyBuiltInLanguageHasEveryTextAndNamesWhatsAppsMenusInItsWords() {
        for (String tag : Languages.BUILT_IN) {
            assertThat(languages.texts(tag).keySet()).as(tag).isEqualTo(languages.texts("en").keySet());
            assertThat(languages.texts(tag).values()).as(tag).allMatch(text -> !text.isBlank());
        }
        assertThat(languages.texts("pt-BR").get("scan")).contains("Aparelhos conectados", "Conectar um aparelho");
        assertThat(languages.texts("es").get("scan")).contains("Dispositivos vinculados", "Vincular un dispositivo");
        assertThat(languages.texts("pt-BR").get("pairing")).contains("Conectar com número de telefone");
        assertThat(languages.texts("es").get("pairing")).contains("Vincular con el número de teléfono");
    }

    @Test
    void oneFileAddsALanguageOrChangesABuiltInOnesTexts(@TempDir Path folder) throws Exception {
        Files.writeString(folder.resolve("fr.json"), "{\"pageTitle\": \"Reliez votre WhatsApp\"}");
        Files.writeString(folder.resolve("pt-br.json"), "{\"pageTitle\": \"Conecte o seu WhatsApp\"}");
        Languages extended = Languages.load(Optional.of(folder));
        assertThat(extended.tags()).containsExactly("en", "pt-BR", "es", "fr");
        assertThat(extended.texts("fr").get("pageTitle")).isEqualTo("Reliez votre WhatsApp");
        // what the file leaves out is English
        assertThat(extended.texts("fr").get("getNewCode")).isEqualTo("Get a new code");
        assertThat(extended.texts("pt-BR").get("pageTitle")).isEqualTo("Conecte o seu WhatsApp");
        assertThat(extended.texts("pt-BR").get("getNewCode")).isEqualTo("Gerar um novo código");
        assertThat(extended.choose(null, "fr-CA,fr;q=0.9")).isEqualTo("fr");
        assertThat(extended.json()).contains("\"fr\":{", "Reliez votre WhatsApp");
    }

    @Test
    void aBadFileStopsTheStartNamingItAndWhy(@TempDir Path folder) throws Exception {
        String[][] table = {
                {"fr.json", "{\"pageTitel\": \"x\"}", "unknown text \"pageTitel\""},
                {"fr.json", "{\"pageTitle\": 3}", "must be a string"},
                {"fr.json", "[]", "must be a JSON object"},
                {"fr.json", "{", "is not valid JSON"},
                {"français.json", "{}", "not named after a language tag"}};
        for (String[] row : table) {
            try (var files = Files.list(folder)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
            Files.writeString(folder.resolve(row[0]), row[1]);
            assertThatThrownBy(() -> Languages.load(Optional.of(folder))).as(row[1])
                    .hasMessageContaining(row[0]).hasMessageContaining(row[2]);
        }
    }
}
