package io.qrrefresher.evolution;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

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
    private static final int MASK_PATTERN = 2;
    private static final int SCALE = 4;
    private static final int DARK = 0x198754;
    private static final int LIGHT = 0xFFFFFF;
    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    private QrImages() {
    }

    public static String dataUrl(String text) {
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(png(text));
    }

    public static byte[] png(String text) {
        BitMatrix modules;
        try {
            modules = new QRCodeWriter().encode(text, BarcodeFormat.QR_CODE, 0, 0,
                    Map.of(EncodeHintType.ERROR_CORRECTION, ErrorCorrectionLevel.H, EncodeHintType.MARGIN, MARGIN,
                            // one mask, not the best of eight: every reader decodes any mask, and scoring the eight
                            // is 95 % of the encoding's cost (1.4 ms of 1.5 for a real code)
                            EncodeHintType.QR_MASK_PATTERN, MASK_PATTERN));
        } catch (WriterException e) {
            throw new IllegalArgumentException("Cannot encode a QR code of " + text.length() + " characters", e);
        }
        // two colours, one bit per pixel, written directly (ImageIO's writer costs more than the encoding)
        int size = modules.getWidth() * SCALE;
        int rowBytes = (size + 7) / 8;
        byte[] raw = new byte[(rowBytes + 1) * size];
        for (int y = 0; y < size; y++) {
            int row = y * (rowBytes + 1);
            // filter type 0 (none) at raw[row]
            for (int x = 0; x < size; x++) {
                if (modules.get(x / SCALE, y / SCALE)) {
                    raw[row + 1 + (x >> 3)] |= (byte) (0x80 >>> (x & 7));
                }
            }
        }
        Deflater deflater = new Deflater(Deflater.BEST_SPEED);
        ByteArrayOutputStream compressed = new ByteArrayOutputStream(2048);
        try {
            deflater.setInput(raw);
            deflater.finish();
            byte[] buffer = new byte[4096];
            while (!deflater.finished()) {
                compressed.write(buffer, 0, deflater.deflate(buffer));
            }
        } finally {
            deflater.end();
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream(compressed.size() + 64);
        png.writeBytes(SIGNATURE);
        chunk(png, "IHDR", ByteBuffer.allocate(13).putInt(size).putInt(size)
                .put((byte) 1).put((byte) 3).put((byte) 0).put((byte) 0).put((byte) 0).array());
        chunk(png, "PLTE", new byte[] {(byte) (LIGHT >> 16), (byte) (LIGHT >> 8), (byte) LIGHT,
                (byte) (DARK >> 16), (byte) (DARK >> 8), (byte) DARK});
        chunk(png, "IDAT", compressed.toByteArray());
        chunk(png, "IEND", new byte[0]);
        return png.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream png, String type, byte[] data) {
        byte[] name = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(name);
        crc.update(data);
        png.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        png.writeBytes(name);
        png.writeBytes(data);
        png.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }
}
