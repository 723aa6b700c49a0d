package io.qrrefresher;

import java.net.URI;
import java.util.List;
import java.util.Optional;

import io.qrrefresher.config.Settings;
import io.qrrefresher.demo.EvolutionSimulator;

/**
 * Real or demo: which Evolution API the service calls and with which credentials. In demo mode (neither DATABASE_URL
 * nor EVOLUTION_API_BASE_URL set) the built-in simulator stands in for Evolution API and demo credentials fill what is
 * not configured.
 */
public record ServiceMode(boolean demo, URI evolutionBaseUrl, Optional<String> globalApiKey,
                          Optional<String> adminToken, Optional<String> webhookToken, Optional<String> viewerSecret,
                          Optional<EvolutionSimulator> simulator, List<Settings.EvolutionServer> servers) {

    @Override
    public String toString() {
        // the record's default would print the credentials
        return (demo ? "demo mode" : "real mode") + " against " + servers;
    }
}
