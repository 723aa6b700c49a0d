package io.qrrefresher.evolution;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.Map;

import javax.imageio.ImageIO;

import com.google.zxing.BarcodeFormat;
import com.google.zxing.EncodeHintType;
import com.google.zxing.WriterException;
import com.google.zxing.common.BitMatrix;
import com.google.zxing.qrcode.QRCodeWriter;
import com.google.zxing.qrcode.decoder.ErrorCorrectionLevel;

/**
 * Renders a QR string as the PNG data URL Evolution API puts in {@code base64}: error correction H, margin 3, scale 4,
 * dark colour {@code #198754} (the npm {@code qrcode} options Evolution uses).
 */
public final class QrImages {

    private static final int MARGIN = 3;
    private static final int SCALE = 4;
    private static final int DARK = 0x198754;
    private static final int LIGHT = 0xFFFFFF;
    private static final IndexColorModel PALETTE = new IndexColorModel(1, 2,
            new byte[] {(byte) (LIGHT >> 16), (byte) (DARK >> 16)},
            new byte[] {(byte) (LIGHT >> 8), (byte) (DARK >> 8)},
            new byte[] {(byte) LIGHT, (byte) DARK});

    private QrImages() {
    }

    public static String dataUrl(String text) {
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(png(text));
    }

    public static byte[] png(String text) {
        BitMatrix modules;
        try {
            modules = new QRCodeWriter().encode(text, BarcodeFormat.QR_CODE, 0, 0,
                    Map.of(EncodeHintType.ERROR_CORRECTION, ErrorCorrectionLevel.H, EncodeHintType.MARGIN, MARGIN));
        } catch (WriterException e) {
            throw new IllegalArgumentException("Cannot encode a QR code of " + text.length() + " characters", e);
        }
        // two colours, one bit per pixel: the PNG is small and fast to encode (about a millisecond for a real code)
        int size = modules.getWidth() * SCALE;
        BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_BINARY, PALETTE);
        WritableRaster raster = image.getRaster();
        int[] row = new int[size];
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                row[x] = modules.get(x / SCALE, y / SCALE) ? 1 : 0;
            }
            raster.setPixels(0, y, size, 1, row);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
