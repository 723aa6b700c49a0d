-- qr-refresher, schema version 20: link pages (README, "Send your customer a link"). POST /instances/{name}/link makes
-- a link an operator sends the person who must link their WhatsApp; GET /link/<token> serves its page. The token is
-- signed (VIEWER_TOKEN_SECRET) and names this row's link_id; the row says what the token cannot: which row of
-- evolution_instances the link was made for (its id and owner, as text: a row deleted and created again, or given to
-- another user, refuses the link), the page's options, and whether it was revoked (DELETE /instances/{name}/link).
-- Rows whose link expired more than a day ago are removed when a new link is made.
SET LOCAL client_min_messages = warning;

CREATE TABLE instance_links (
    link_id       text PRIMARY KEY,
    instance_name text NOT NULL,
    row_id        text NOT NULL,
    owner         text NOT NULL DEFAULT '',
    lang          text,
    return_url    text,
    phone_link    boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz
);
CREATE INDEX instance_links_instance_idx ON instance_links (instance_name);
COMMENT ON TABLE instance_links IS
    'qr-refresher: the link pages made for instances (GET /link/<token>), until they expire or are revoked';
