package io.qrrefresher.alert;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** X-Alert-Delivery-Id: the payload's UUID; for a row queued before payloads had one, a UUID of the row, stable. */
class AlertDeliveryIdTest {

    static final String UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

    @Test
    void thePayloadsOwnIdElseOneDerivedFromTheRowTheSameAtEveryRetry() {
        assertThat(AlertDelivery.deliveryId(7, "{\"alert\":\"x\",\"delivery_id\":"
                + "\"0F8FAD5B-D9CB-469F-A165-70867728950E\"}")).isEqualTo("0f8fad5b-d9cb-469f-a165-70867728950e");

        // queued by a version before delivery ids: derived from the row, the same at each attempt, apart per row
        String legacy = "{\"alert\":\"qr_refresh_failures\",\"status\":\"firing\"}";
        assertThat(AlertDelivery.deliveryId(7, legacy)).matches(UUID)
                .isEqualTo(AlertDelivery.deliveryId(7, legacy))
                .isNotEqualTo(AlertDelivery.deliveryId(8, legacy));
        // a payload whose id is not a UUID, or that is not JSON at all, is still delivered under a derived one
        assertThat(AlertDelivery.deliveryId(9, "{\"delivery_id\":\"1; DROP\"}")).matches(UUID);
        assertThat(AlertDelivery.deliveryId(9, "not json")).matches(UUID);
        assertThat(AlertDelivery.deliveryId(9, "{\"delivery_id\":42}")).matches(UUID);
    }
}
