/*
 * <whatsapp-qr>: the live WhatsApp login QR of one Evolution API instance, served by qr-refresher.
 *
 *   <script type="module" src="https://qr.example.com/widget/whatsapp-qr.js"></script>
 *   <whatsapp-qr instance="customer-42" token="VIEWER_TOKEN_OR_USER_JWT" server="https://qr.example.com"></whatsapp-qr>
 *
 * The token is a short-lived viewer token or the application's user JWT, never an Evolution key. Set the `getToken`
 * property to an async function to hand the widget a fresh token each time it (re)connects. No dependencies, no build.
 * A person on the very phone they must link cannot scan it: "Link with phone number instead" asks for an 8-character
 * pairing code they type in WhatsApp (set the `phone-link` attribute to "off" to hide the offer).
 * Events (bubbling, composed): `qr-state` {state, instanceStatus}, `qr-change` {qrExpiresAt, pairingCode}.
 * Theme with CSS custom properties: --wqr-size, --wqr-fg, --wqr-bg, --wqr-accent, --wqr-muted, --wqr-font.
 */
const DEFAULT_STRINGS = {
  connecting: 'Connecting…',
  scan: 'Scan this code with WhatsApp on your phone: Settings › Linked devices › Link a device.',
  expiresIn: 'Expires in {s} s',
  renewing: 'This code expired. A new one is coming…',
  connected: 'Connected ✓',
  closed: 'This code is no longer valid.',
  getNewCode: 'Get a new code',
  reconnecting: 'Connection lost. Reconnecting…',
  qrAlt: 'WhatsApp login QR code',
  usePhone: 'Link with phone number instead',
  useQr: 'Scan a QR code instead',
  phone: 'Your WhatsApp phone number, with the country code:',
  phonePlaceholder: '+55 11 98765-4321',
  getPairingCode: 'Get a pairing code',
  badNumber: 'Enter the number with its country code, for example +55 11 98765-4321.',
  tooSoon: 'A code was asked for moments ago. Try again in a minute.',
  failed: 'No code could be made now. Try again in a moment.',
  pairing: 'On your phone, in WhatsApp: Settings › Linked devices › Link a device › Link with phone number instead, then enter this code.',
  pairingComing: 'Your pairing code is on its way…',
  copy: 'Copy code',
  copied: 'Copied',
};

const STYLE = `
:host { display: inline-block; font-family: var(--wqr-font, system-ui, sans-serif); color: var(--wqr-fg, #111);
  background: var(--wqr-bg, #fff); border-radius: 12px; padding: 16px; box-sizing: border-box;
  width: calc(var(--wqr-size, 264px) + 32px); max-width: 100%; text-align: center; }
.qr { width: var(--wqr-size, 264px); max-width: 100%; aspect-ratio: 1; display: block; margin: 0 auto;
  image-rendering: pixelated; }
.qr[hidden], .box[hidden] { display: none; }
.box { width: var(--wqr-size, 264px); max-width: 100%; aspect-ratio: 1; margin: 0 auto; display: flex;
  align-items: center; justify-content: center; border-radius: 8px; background: var(--wqr-muted, #f2f2f2);
  font-size: 1.1em; padding: 12px; box-sizing: border-box; }
.box.ok { background: var(--wqr-accent, #25d366); color: #fff; font-size: 4em; }
.text { margin: 12px 0 0; line-height: 1.35; font-size: .95em; min-height: 2.6em; }
.count { font-variant-numeric: tabular-nums; font-weight: 600; margin-top: 6px; min-height: 1.3em; }
button { margin-top: 12px; font: inherit; padding: 10px 16px; border-radius: 8px; border: 0; cursor: pointer;
  background: var(--wqr-accent, #25d366); color: #fff; }
button[hidden], form[hidden], .code[hidden] { display: none; }
.link { background: none; color: inherit; text-decoration: underline; padding: 4px; margin-top: 8px; font-size: .9em; }
form { width: var(--wqr-size, 264px); max-width: 100%; margin: 0 auto; text-align: left; }
label { display: block; font-size: .95em; margin-bottom: 6px; }
input { font: inherit; width: 100%; box-sizing: border-box; padding: 10px; border-radius: 8px;
  border: 1px solid var(--wqr-fg, #111); }
.code { font: 600 2em/1.2 ui-monospace, monospace; letter-spacing: .08em; margin: 8px 0 0; user-select: all; }
button:focus-visible { outline: 3px solid var(--wqr-fg, #111); outline-offset: 2px; }
@media (max-width: 360px) { :host { padding: 8px; } }
`;

class WhatsAppQr extends HTMLElement {
  static get observedAttributes() { return ['instance', 'token', 'server']; }

  constructor() {
    super();
    this.strings = { ...DEFAULT_STRINGS };
    // a page may set getToken before this module ran (a plain script below the element): that function is kept
    if (typeof this.getToken !== 'function') this.getToken = null;
    this._clockOffset = 0;
    this._attempt = 0;
    const root = this.attachShadow({ mode: 'open' });
    root.innerHTML = `<style>${STYLE}</style>
      <img class="qr" part="qr" hidden>
      <div class="box" part="status" role="img"></div>
      <form part="phone-form" hidden><label for="n"></label><input id="n" type="tel" autocomplete="tel"
        inputmode="tel" required maxlength="32"><button type="submit" part="button"></button></form>
      <p class="code" part="pairing-code" hidden></p>
      <p class="text" part="text" aria-live="polite"></p>
      <div class="count" part="countdown" aria-hidden="true"></div>
      <button type="button" class="renew" part="button" hidden></button>
      <button type="button" class="copy" part="button" hidden></button>
      <button type="button" class="link" part="mode-link" hidden></button>`;
    const $ = selector => root.querySelector(selector);
    this._img = $('.qr');
    this._box = $('.box');
    this._text = $('.text');
    this._count = $('.count');
    this._button = $('.renew');
    this._form = $('form');
    this._input = $('input');
    this._code = $('.code');
    this._copy = $('.copy');
    this._link = $('.link');
    this._button.addEventListener('click', () => this.renew());
    this._link.addEventListener('click', () => this._switchMode());
    this._form.addEventListener('submit', event => { event.preventDefault(); this.requestPairingCode(this._input.value); });
    this._copy.addEventListener('click', () => this._copyCode());
  }

  connectedCallback() {
    this._started = true;
    this._connect();
  }

  disconnectedCallback() {
    this._started = false;
    this._close();
  }

  attributeChangedCallback(name, before, after) {
    // also called for each attribute while the element is created: only a change after that reconnects
    if (before !== after && this._started) this._connect();
  }

  /** The widget's state: connecting, scan, renewing, connected, closed, reconnecting, phone, pairing. */
  get state() { return this._state; }

  /** Asks the server for a new code (the instance is closed: its code expired for good). */
  async renew() {
    this._button.disabled = true;
    try {
      const answer = await fetch(`${this._server()}/instances/${encodeURIComponent(this._instance())}/qr/renew`, {
        method: 'POST', headers: { Authorization: `Bearer ${await this._token()}` }, mode: 'cors' });
      if (answer.status === 202 || answer.status === 200) {
        this._renewing = true;
        this._show('renewing');
      }
      else if (answer.status === 409) this._show('connected');
    } catch (e) {
      this._show('reconnecting');
    } finally {
      this._button.disabled = false;
    }
  }

  /** Asks the server for a pairing code for this phone number (E.164: country code, then the number). */
  async requestPairingCode(number) {
    const submit = this._form.querySelector('button');
    submit.disabled = true;
    try {
      const answer = await fetch(`${this._server()}/instances/${encodeURIComponent(this._instance())}/qr/pairing-code`, {
        method: 'POST', mode: 'cors',
        headers: { Authorization: `Bearer ${await this._token()}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ number }) });
      let body = {};
      try { body = await answer.json(); } catch (e) { /* no JSON: the status says enough */ }
      if (answer.status === 200 || answer.status === 202) {
        // the stream may have brought this code, with its expiry, before this answer
        if (body.pairing_code !== this._pairingCode) this._expires = null;
        this._pairingCode = body.pairing_code || null;
        if (this._pairingCode) this._emit('qr-change', { instance: this._instance(), pairingCode: this._pairingCode });
        this._show('pairing');
      } else if (answer.status === 409) this._show('connected');
      else this._say({ 400: 'badNumber', 429: 'tooSoon' }[answer.status] || 'failed');
    } catch (e) {
      this._say('failed');
    } finally {
      submit.disabled = false;
    }
  }

  _switchMode() {
    this._phoneMode = !this._phoneMode;
    if (this._phoneMode) {
      this._show(this._pairingCode ? 'pairing' : 'phone');
      this._input.focus();
    } else {
      this._show(this._img.getAttribute('src') && this._secondsLeft() !== 0 ? 'scan' : 'renewing');
    }
  }

  async _copyCode() {
    try { await navigator.clipboard.writeText(this._pairingCode || ''); } catch (e) {
      const range = document.createRange();
      range.selectNodeContents(this._code);
      const selection = this.shadowRoot.getSelection ? this.shadowRoot.getSelection() : window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    this._copy.textContent = this.strings.copied;
  }

  /** A message in the announced text line, without changing the state. */
  _say(key) { this._text.textContent = this.strings[key] || ''; }

  _instance() { return this.getAttribute('instance') || ''; }

  _server() { return (this.getAttribute('server') || '').replace(/\/+$/, ''); }

  async _token() { return this.getToken ? await this.getToken(this._instance()) : (this.getAttribute('token') || ''); }

  _close() {
    this._generation = (this._generation || 0) + 1;
    if (this._source) this._source.close();
    this._source = null;
    clearTimeout(this._retry);
    clearInterval(this._ticker);
  }

  async _connect() {
    this._close();
    if (!this._instance()) return;
    if (this._state !== 'reconnecting') this._show('connecting');
    const generation = this._generation;
    const token = await this._token();
    // another connect (a new token, instance or server) started meanwhile: it owns the stream
    if (generation !== this._generation || !this._started) return;
    const url = `${this._server()}/instances/${encodeURIComponent(this._instance())}/qr/stream`
      + `?token=${encodeURIComponent(token)}`;
    const source = new EventSource(url);
    this._source = source;
    const read = event => {
      this._attempt = 0;
      let data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      if (data.server_time) this._clockOffset = Date.parse(data.server_time) - Date.now();
      this._update(data);
    };
    source.addEventListener('qr', read);
    source.addEventListener('status', read);
    source.onerror = () => {
      if (this._source !== source) return;
      // EventSource retries a dropped stream by itself, but gives up after a non-200 answer (a 401 once a token
      // expired, a 503 while the service restarts): then the widget starts again, later and later
      this._show('reconnecting');
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        const delay = Math.min(30000, 1000 * 2 ** this._attempt++) * (0.75 + Math.random() / 2);
        this._retry = setTimeout(() => this._connect(), delay);
      }
    };
  }

  _update(data) {
    this._status = data.instance_status;
    if (data.instance_status === 'open') { this._show('connected'); return; }
    if (data.instance_status === 'close') {
      // "get a new code" asks for a QR: the person may switch to a phone number again
      this._pairingCode = null;
      this._phoneMode = false;
      this._show('closed');
      return;
    }
    const expires = data.qr_expires_at ? Date.parse(data.qr_expires_at) : null;
    if (this._phoneMode) {
      if (data.pairing_code && data.pairing_code !== this._pairingCode) {
        this._pairingCode = data.pairing_code;
        this._emit('qr-change', { instance: this._instance(), qrExpiresAt: data.qr_expires_at, pairingCode: data.pairing_code });
      }
      this._expires = data.pairing_code ? expires : null;
      if (this._state === 'pairing' || data.pairing_code) this._show('pairing');
      return;
    }
    // no code yet: the first one is being prepared, or the next one after an expired code
    if (!data.qr_code) {
      this._show(this._img.getAttribute('src') || this._renewing ? 'renewing' : 'connecting');
      return;
    }
    this._renewing = false;
    if (this._img.getAttribute('src') !== data.qr_code) {
      this._img.src = data.qr_code;
      this._expires = expires;
      this._emit('qr-change', { instance: this._instance(), qrExpiresAt: data.qr_expires_at });
    }
    this._expires = expires;
    this._show(this._secondsLeft() === 0 ? 'renewing' : 'scan');
  }

  /** Whole seconds until the code expires, by the server's clock; null when its expiry is unknown. */
  _secondsLeft() {
    if (!this._expires) return null;
    return Math.max(0, Math.ceil((this._expires - (Date.now() + this._clockOffset)) / 1000));
  }

  _tick() {
    const left = this._secondsLeft();
    if (left === null) { this._count.textContent = ''; return; }
    this._count.textContent = this.strings.expiresIn.replace('{s}', String(left));
    this._count.dataset.seconds = String(left);
    if (left === 0 && this._state === 'scan') this._show('renewing');
    if (left === 0 && this._state === 'pairing' && this._pairingCode) { this._pairingCode = null; this._show('pairing'); }
  }

  _show(state) {
    const changed = state !== this._state;
    this._state = state;
    const s = this.strings;
    const showsQr = state === 'scan';
    const code = state === 'pairing' ? this._pairingCode : null;
    const offersSwitch = this.getAttribute('phone-link') !== 'off'
      && ['scan', 'renewing', 'phone', 'pairing'].includes(state);
    this._img.hidden = !showsQr;
    this._img.alt = s.qrAlt;
    this._box.hidden = showsQr || state === 'phone' || !!code;
    this._box.classList.toggle('ok', state === 'connected');
    this._box.textContent = { connected: '✓', closed: '⟳' }[state] || '…';
    this._box.setAttribute('aria-label', s[state] || '');
    this._form.hidden = state !== 'phone';
    this._form.querySelector('label').textContent = s.phone;
    this._form.querySelector('button').textContent = s.getPairingCode;
    this._input.placeholder = s.phonePlaceholder;
    this._code.hidden = !code;
    // grouped as WhatsApp shows it: WZYE-H1YY
    this._code.textContent = code ? `${code.slice(0, 4)}-${code.slice(4)}` : '';
    this._copy.hidden = !code;
    if (changed || !code) this._copy.textContent = s.copy;
    this._button.hidden = state !== 'closed';
    this._button.textContent = s.getNewCode;
    this._link.hidden = !offersSwitch;
    this._link.textContent = this._phoneMode ? s.useQr : s.usePhone;
    clearInterval(this._ticker);
    this._count.textContent = '';
    if (showsQr || code) {
      this._tick();
      this._ticker = setInterval(() => this._tick(), 250);
    }
    const text = state === 'pairing' && !code ? s.pairingComing : s[state] || '';
    if (changed || this._text.textContent !== text) this._text.textContent = text;
    if (changed) {
      this.setAttribute('state', state);
      this._emit('qr-state', { instance: this._instance(), state, instanceStatus: this._status || null });
    }
  }

  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }
}

if (!customElements.get('whatsapp-qr')) customElements.define('whatsapp-qr', WhatsAppQr);

export { WhatsAppQr };
