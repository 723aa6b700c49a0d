package io.qrrefresher.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

import io.qrrefresher.demo.EvolutionSimulator.Reply;

/** Real Evolution API bodies (src/test/resources/evolution, copied from the contract's fixtures). */
public final class Fixtures {

    private Fixtures() {
    }

    public static byte[] bytes(String name) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/evolution/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("No fixture " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Reply reply(int status, String name) {
        return new Reply(status, "application/json; charset=utf-8", bytes(name));
    }
}
