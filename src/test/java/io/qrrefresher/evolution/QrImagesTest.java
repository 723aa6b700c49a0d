package io.qrrefresher.evolution;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Base64;
import java.util.Map;

import javax.imageio.ImageIO;

import com.google.zxing.BinaryBitmap;
import com.google.zxing.DecodeHintType;
import com.google.zxing.RGBLuminanceSource;
import com.google.zxing.common.HybridBinarizer;
import com.google.zxing.qrcode.QRCodeReader;
import io.qrrefresher.support.Fixtures;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The images are real QR codes a phone can read, in Evolution's format. */
public class QrImagesTest {

    @Test
    void theDataUrlDecodesBackToTheCode() throws Exception {
        String code = "2@Ej4buzr3Re65BZmN7yFk6LuXZB07BooYEWk7LmNlSb72,W515uDoHA0oQKEOKrEQc1d50Y+y90blTHo4xPIG0A6s=,"
                + "Zp5e37XcOZsuQ1aJe+QEyr0JvTBotGqlwZSDOJSR/8g=,XosI3AK/ZNzu60xKwlYmm78xicNE99ZtEVxsET9Qt0s=";

        String dataUrl = QrImages.dataUrl(code);

        assertThat(dataUrl).startsWith("data:image/png;base64,");
        assertThat(decode(dataUrl)).isEqualTo(code);
    }

    @Test
    void theContractsOwnImageDecodesToItsCode() throws Exception {
        EvolutionReply reply = EvolutionReply.parse(200, null, Fixtures.bytes("connect-qr.json"));

        assertThat(decode(reply.qrBase64())).isEqualTo(reply.qrCode());
        assertThat(decode(QrImages.dataUrl(reply.qrCode()))).isEqualTo(reply.qrCode());
    }

    /**
     * The code of the QR somewhere in a picture (a screenshot of a whole window), as a phone's camera finds it.
     * (zxing reads a PURE_BARCODE hint by its presence, whatever its value: here there is none.)
     */
    public static String decodeInPicture(byte[] png) throws Exception {
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        int[] pixels = image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
        BinaryBitmap bitmap = new BinaryBitmap(new HybridBinarizer(
                new RGBLuminanceSource(image.getWidth(), image.getHeight(), pixels)));
        return new QRCodeReader().decode(bitmap, Map.of(DecodeHintType.TRY_HARDER, Boolean.TRUE)).getText();
    }

    public static String decode(String dataUrl) throws Exception {
        byte[] png = Base64.getDecoder().decode(dataUrl.substring(dataUrl.indexOf(',') + 1));
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        int[] pixels = image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
        BinaryBitmap bitmap = new BinaryBitmap(new HybridBinarizer(
                new RGBLuminanceSource(image.getWidth(), image.getHeight(), pixels)));
        return new QRCodeReader().decode(bitmap, Map.of(DecodeHintType.PURE_BARCODE, Boolean.FALSE)).getText();
    }
}
