package io.qrrefresher.support;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Base64;
import java.util.Random;

import javax.imageio.ImageIO;

/** Images for tests and benchmarks. */
public final class TestImages {

    private TestImages() {
    }

    /**
     * A PNG of random pixels (incompressible) of about {@code bytes}, as a data URL: a worst-case QR image. Each seed
     * gives another image.
     */
    public static String pngDataUrl(int bytes, long seed) throws IOException {
        Random random = new Random(seed);
        int side = (int) Math.sqrt(bytes / 3.0);
        BufferedImage image = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                image.setRGB(x, y, random.nextInt(0x1000000));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(out.toByteArray());
    }
}
