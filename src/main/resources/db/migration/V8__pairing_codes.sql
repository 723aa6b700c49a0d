-- qr-refresher, schema version 8: "link with phone number instead".
SET LOCAL client_min_messages = warning;

-- When a person links with their phone number instead of scanning, WhatsApp shows them an 8-character pairing code,
-- renewed with every QR rotation. It is stored beside the QR it came with, and cleared with it.
ALTER TABLE public.evolution_instances ADD COLUMN IF NOT EXISTS pairing_code text;
COMMENT ON COLUMN public.evolution_instances.pairing_code IS
    'The phone-number pairing code that goes with qr_code (8 letters and digits), null in QR mode';
