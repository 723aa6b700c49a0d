/*
 * <whatsapp-qr>: the live WhatsApp login QR of one Evolution API instance, served by qr-refresher.
 *
 *   <script type="module" src="https://qr.example.com/widget/whatsapp-qr.js"></script>
 *   <whatsapp-qr instance="customer-42" token="VIEWER_TOKEN_OR_USER_JWT" server="https://qr.example.com"></whatsapp-qr>
 *
 * The token is a short-lived viewer token or the application's user JWT, never an Evolution key. Set the `getToken`
 * property to an async function to hand the widget a fresh token each time it (re)connects: before or after this
 * script ran, it is called. No dependencies, no build.
 * A person on the very phone they must link cannot scan it: "Link with phone number instead" asks for an 8-character
 * pairing code they type in WhatsApp (set the `phone-link` attribute to "off" to hide the offer; `start="phone"` opens
 * with it, `start="auto"` on a phone only).
 * Language: the `lang` attribute (else the page's, else the browser's): en, pt-BR, es, and those the service adds.
 * Events (bubbling, composed): `qr-state` {state, instanceStatus, problem}, `qr-change` {qrExpiresAt, storedAt, sentAt,
 * pairingCode}.
 * It never fails silently: a refused token (`refused`), a page whose origin the service does not allow (`origin`,
 * with the service's reason in a developer line and the console), a service it cannot reach (`unreachable`) and an
 * instance that does not exist (`unknown`) each have their state and their words.
 * Theme with CSS custom properties: --wqr-size, --wqr-fg, --wqr-bg, --wqr-accent, --wqr-muted, --wqr-font.
 */
// every language's texts: the service writes them here when it serves this file (GET /widget/whatsapp-qr.js)
const TEXTS = null;

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
.box.ok { background: var(--wqr-accent, #1b7f3b); color: #fff; font-size: 4em; }
.text { margin: 12px 0 0; line-height: 1.35; font-size: .95em; min-height: 2.6em; }
.count { font-variant-numeric: tabular-nums; font-weight: 600; margin-top: 6px; min-height: 1.3em; }
button { margin-top: 12px; font: inherit; padding: 10px 16px; border-radius: 8px; border: 0; cursor: pointer;
  background: var(--wqr-accent, #1b7f3b); color: #fff; }
button[hidden], form[hidden], .code[hidden], .dev[hidden] { display: none; }
.link { background: none; color: inherit; text-decoration: underline; padding: 4px; margin-top: 8px; font-size: .9em; }
form { width: var(--wqr-size, 264px); max-width: 100%; margin: 0 auto; text-align: left; }
label { display: block; font-size: .95em; margin-bottom: 6px; }
input { font: inherit; width: 100%; box-sizing: border-box; padding: 10px; border-radius: 8px;
  border: 1px solid var(--wqr-fg, #111); }
.code { font: 600 2em/1.2 ui-monospace, monospace; letter-spacing: .08em; margin: 8px 0 0; user-select: all; }
.dev { font: .75em/1.3 ui-monospace, monospace; color: #8a1c1c; margin: 8px 0 0; word-break: break-word; }
button:focus-visible, input:focus-visible { outline: 3px solid var(--wqr-fg, #111); outline-offset: 2px; }
@media (max-width: 360px) { :host { padding: 8px; } }
`;

/** The language of `wanted` among those there are: exactly, else by its first part (pt-PT: pt-BR), else none. */
function findLanguage(wanted) {
  if (!wanted || !TEXTS) return null;
  const tags = Object.keys(TEXTS);
  const lower = String(wanted).toLowerCase();
  return tags.find(tag => tag.toLowerCase() === lower)
    || tags.find(tag => tag.split('-')[0].toLowerCase() === lower.split('-')[0]) || null;
}

const isPhone = () => (window.matchMedia && window.matchMedia('(max-width: 600px)').matches)
  || /Android|iPhone|iPad|iPod|Mobi/i.test(navigator.userAgent);

class WhatsAppQr extends HTMLElement {
  static get observedAttributes() { return ['instance', 'token', 'server', 'lang']; }

  constructor() {
    super();
    // a page may set getToken or strings before this module ran (a plain script below the element): kept, and used
    const early = { getToken: this.getToken, strings: this.strings };
    delete this.getToken;
    delete this.strings;
    this._getToken = typeof early.getToken === 'function' ? early.getToken : null;
    this._custom = early.strings && typeof early.strings === 'object' ? early.strings : {};
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
      <p class="dev" part="problem" hidden></p>
      <button type="button" class="renew" part="button" hidden></button>
      <button type="button" class="copy" part="button" hidden></button>
      <button type="button" class="link" part="mode-link" hidden></button>`;
    const $ = selector => root.querySelector(selector);
    this._img = $('.qr');
    this._box = $('.box');
    this._text = $('.text');
    this._count = $('.count');
    this._dev = $('.dev');
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

  /** An async function (instance) => token, asked at each (re)connect; setting it reconnects a widget that waits. */
  get getToken() { return this._getToken; }

  set getToken(fn) {
    this._getToken = typeof fn === 'function' ? fn : null;
    if (this._started && this._getToken && !['scan', 'connected', 'pairing', 'phone'].includes(this._state)) {
      this._attempt = 0;
      this._connect();
    }
  }

  /** The texts shown, in the widget's language; assign an object to change some of them. */
  get strings() {
    const base = (TEXTS && (TEXTS[this._language()] || TEXTS.en)) || {};
    return { ...base, ...this._custom };
  }

  set strings(value) {
    this._custom = value && typeof value === 'object' ? value : {};
    if (this._state) this._show(this._state);
  }

  connectedCallback() {
    if (!this._begun) {
      this._begun = true;
      const start = this.getAttribute('start');
      this._phoneMode = this._phoneOffered() && (start === 'phone' || (start === 'auto' && isPhone()));
    }
    this._started = true;
    this._connect();
  }

  disconnectedCallback() {
    this._started = false;
    this._close();
  }

  attributeChangedCallback(name, before, after) {
    if (before === after || !this._started) return;
    // also called for each attribute while the element is created: only a change after that acts
    if (name === 'lang') this._show(this._state);
    else this._connect();
  }

  /**
   * The widget's state: connecting, scan, renewing, connected, closed, reconnecting, phone, pairing; or why it
   * cannot show a code: refused, origin, unreachable, unknown.
   */
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
      } else if (answer.status === 409) this._show('connected');
      else if (answer.status === 401) this._show('refused');
      else if (answer.status === 429) this._say('tooSoon');
      else this._say('failed');
    } catch (e) {
      this._show('unreachable');
    } finally {
      this._button.disabled = false;
    }
  }

  /** Asks the server for a pairing code for this phone number (E.164: country code, then the number). */
  async requestPairingCode(number) {
    const submit = this._form.querySelector('button');
    submit.disabled = true;
    // from now until the code arrives the widget shows "your code is on its way", whatever the instance goes through
    // (Evolution logs the waiting session out first: a 'close' now is that step, not an expired code)
    this._phoneMode = true;
    this._pairingPending = Date.now();
    this._pairingCode = null;
    this._show('pairing');
    // a code that never comes (Evolution failed after accepting) is said, not waited for
    clearTimeout(this._pendingTimer);
    this._pendingTimer = setTimeout(() => {
      if (!this._pairingPending || this._pairingCode) return;
      this._pairingPending = null;
      this._show('phone');
      this._say('failed');
    }, 60000);
    try {
      const answer = await fetch(`${this._server()}/instances/${encodeURIComponent(this._instance())}/qr/pairing-code`, {
        method: 'POST', mode: 'cors',
        headers: { Authorization: `Bearer ${await this._token()}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ number }) });
      let body = {};
      try { body = await answer.json(); } catch (e) { /* no JSON: the status says enough */ }
      if (answer.status === 200 || answer.status === 202) {
        this._remember(true);
        if (body.pairing_code && this._pairingPending) this._codeArrived(body.pairing_code, this._codeExpires);
        else if (this._state === 'pairing') this._show('pairing');
      } else {
        this._pairingPending = null;
        if (answer.status === 409) this._show('connected');
        else if (answer.status === 401) this._show('refused');
        else {
          this._show('phone');
          this._say({ 400: 'badNumber', 429: 'tooSoon' }[answer.status] || 'failed');
        }
      }
    } catch (e) {
      this._pairingPending = null;
      this._show('phone');
      this._say('failed');
    } finally {
      submit.disabled = false;
    }
  }

  _codeArrived(code, expires) {
    this._pairingPending = null;
    if (code !== this._pairingCode) {
      this._pairingCode = code;
      this._codeExpires = expires;
      this._emit('qr-change', { instance: this._instance(), qrExpiresAt: expires ? new Date(expires).toISOString() : null,
        pairingCode: code });
    } else if (expires) this._codeExpires = expires;
    this._show('pairing');
  }

  _switchMode() {
    this._phoneMode = !this._phoneMode;
    this._pairingPending = null;
    if (this._phoneMode) {
      this._show(this._pairingCode && this._secondsLeft(this._codeExpires) !== 0 ? 'pairing' : 'phone');
      if (this._state === 'phone') this._input.focus();
    } else if (this._status === 'close') {
      this._show('closed');
    } else {
      this._show(this._img.getAttribute('src') && this._secondsLeft(this._expires) !== 0 ? 'scan' : 'renewing');
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

  _phoneOffered() { return this.getAttribute('phone-link') !== 'off'; }

  /**
   * Whether this tab asked for a pairing code for this instance in the last 10 minutes: kept in sessionStorage, so
   * that a phone's browser reloading the tab while the person typed the code in WhatsApp shows the code again.
   */
  _asked() {
    if (this._askedHere) return true;
    try {
      const at = Number(sessionStorage.getItem(this._askedKey()) || 0);
      return Date.now() - at < 600000;
    } catch (e) {
      return false;
    }
  }

  _remember(asked) {
    this._askedHere = asked;
    try {
      if (asked) sessionStorage.setItem(this._askedKey(), String(Date.now()));
      else sessionStorage.removeItem(this._askedKey());
    } catch (e) { /* no storage (a sandboxed frame): a reload then shows the form again */ }
  }

  _askedKey() { return `whatsapp-qr-pairing:${this._server()}|${this._instance()}`; }

  /** The widget's language: its lang attribute, else the page's (an ancestor's), else the browser's, else English. */
  _language() {
    const own = this.closest && this.closest('[lang]');
    const wanted = [own && own.getAttribute('lang'), ...(navigator.languages || [navigator.language])];
    for (const tag of wanted) {
      const found = findLanguage(tag);
      if (found) return found;
    }
    return 'en';
  }

  async _token() { return this._getToken ? await this._getToken(this._instance()) : (this.getAttribute('token') || ''); }

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
    if (!['reconnecting', 'refused', 'origin', 'unreachable', 'unknown'].includes(this._state)) this._show('connecting');
    const generation = this._generation;
    let token;
    try {
      token = await this._token();
    } catch (e) {
      if (generation !== this._generation) return;
      this._problem = `getToken failed: ${e && e.message ? e.message : e}`;
      this._show('refused');
      this._later();
      return;
    }
    // another connect (a new token, instance or server) started meanwhile: it owns the stream
    if (generation !== this._generation || !this._started) return;
    const url = `${this._server()}/instances/${encodeURIComponent(this._instance())}/qr/stream`
      + `?token=${encodeURIComponent(token || '')}`;
    const source = new EventSource(url);
    this._source = source;
    const read = event => {
      this._attempt = 0;
      this._problem = null;
      let data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      if (data.server_time) this._clockOffset = Date.parse(data.server_time) - Date.now();
      this._update(data);
    };
    source.addEventListener('qr', read);
    source.addEventListener('status', read);
    source.onerror = () => {
      if (this._source !== source) return;
      // EventSource gives up after a non-200 answer (CLOSED), and retries a network failure by itself (CONNECTING);
      // it says neither which: the same URL, asked once, says why
      const closed = source.readyState === EventSource.CLOSED;
      if (closed) {
        source.close();
        this._source = null;
      }
      if (!['unreachable', 'refused', 'origin', 'unknown'].includes(this._state)) this._show('reconnecting');
      this._diagnose(url, generation, closed);
    };
  }

  /** Why the stream failed (its status and JSON reason), shown; a stream EventSource gave up on is opened later. */
  async _diagnose(url, generation, closed) {
    if (this._probing === generation) return;
    this._probing = generation;
    let status = 0;
    let body = {};
    const abort = new AbortController();
    try {
      const answer = await fetch(url, { signal: abort.signal, mode: 'cors', cache: 'no-store',
        headers: { Accept: 'application/json' } });
      status = answer.status;
      if (answer.ok) abort.abort();
      else { try { body = await answer.json(); } catch (e) { /* no JSON: the status says enough */ } }
    } catch (e) {
      status = 0;
    } finally {
      if (this._probing === generation) this._probing = null;
    }
    if (generation !== this._generation || !this._started) return;
    // the stream answers again: EventSource is reconnecting by itself
    if (status >= 200 && status < 300 && !closed) return;
    this._problem = body && body.error ? `${status} ${body.error}: ${body.message || ''}` : null;
    let state = 'reconnecting';
    if (status === 0) state = 'unreachable';
    else if (status === 401) state = 'refused';
    else if (status === 403 && body.error === 'origin_not_allowed') {
      state = 'origin';
      this._problem = `${body.message} (this page: ${window.location.origin})`;
      console.warn(`<whatsapp-qr>: ${this._problem}`);
    } else if (status === 404) state = 'unknown';
    if (!closed && this._source && state !== 'unreachable' && state !== 'reconnecting') {
      // a refusal: EventSource would retry it for ever
      this._source.close();
      this._source = null;
      closed = true;
    }
    this._show(state);
    if (closed) this._later();
  }

  /** Connects again later and later (1 s, 2 s, 4 s… at most 30 s, with jitter); a new getToken is asked each time. */
  _later() {
    clearTimeout(this._retry);
    const delay = Math.min(30000, 1000 * 2 ** this._attempt++) * (0.75 + Math.random() / 2);
    this._retry = setTimeout(() => this._connect(), delay);
  }

  _update(data) {
    this._status = data.instance_status;
    const expires = data.qr_expires_at ? Date.parse(data.qr_expires_at) : null;
    if (data.instance_status === 'open') {
      this._pairingPending = null;
      this._remember(false);
      this._show('connected');
      return;
    }
    if (data.instance_status === 'close') {
      // while a pairing code is on its way, a 'close' is Evolution ending the QR session first: nothing to show
      if (this._pairingPending) { this._show('pairing'); return; }
      const hadCode = !!this._pairingCode;
      this._pairingCode = null;
      if (this._phoneMode && this._phoneOffered()) {
        this._show('phone');
        if (hadCode) this._say('pairingExpired');
      } else this._show('closed');
      return;
    }
    if (this._phoneMode) {
      // a code is for the number typed where it was asked: shown here only if this page (this tab, across a reload)
      // asked for one; another device opening the link gets the form, not a code for a number it never typed
      if (data.pairing_code && (this._pairingPending || this._pairingCode || this._asked())) {
        this._codeArrived(data.pairing_code, expires);
      } else if (this._pairingPending || this._state === 'pairing') this._show('pairing');
      else this._show('phone');
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
      this._emit('qr-change', { instance: this._instance(), qrExpiresAt: data.qr_expires_at,
        storedAt: data.last_qr_update || null, sentAt: data.server_time || null });
    }
    this._expires = expires;
    this._show(this._secondsLeft(this._expires) === 0 ? 'renewing' : 'scan');
  }

  /** Whole seconds until `expires`, by the server's clock; null when unknown. */
  _secondsLeft(expires) {
    if (!expires) return null;
    return Math.max(0, Math.ceil((expires - (Date.now() + this._clockOffset)) / 1000));
  }

  _tick() {
    const code = this._state === 'pairing' && this._pairingCode;
    const left = this._secondsLeft(code ? this._codeExpires : this._expires);
    if (left === null) { this._count.textContent = ''; delete this._count.dataset.seconds; return; }
    this._count.textContent = (code ? this.strings.codeExpiresIn : this.strings.expiresIn).replace('{s}', String(left));
    this._count.dataset.seconds = String(left);
    if (left === 0 && this._state === 'scan') this._show('renewing');
    // the next rotation brings the next code: until then, it is on its way
    if (left === 0 && code) { this._pairingCode = null; this._show('pairing'); }
  }

  _show(state) {
    const changed = state !== this._state;
    this._state = state;
    const s = this.strings;
    const showsQr = state === 'scan';
    const code = state === 'pairing' ? this._pairingCode : null;
    const offersSwitch = this._phoneOffered() && ['scan', 'renewing', 'closed', 'phone', 'pairing'].includes(state);
    this._img.hidden = !showsQr;
    this._img.alt = s.qrAlt;
    this._box.hidden = showsQr || state === 'phone' || !!code;
    this._box.classList.toggle('ok', state === 'connected');
    this._box.textContent = { connected: '✓', closed: '⟳', refused: '!', origin: '!', unreachable: '!',
      unknown: '?' }[state] || '…';
    this._box.setAttribute('aria-label', s[state] || s.pairingComing || '');
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
    const problem = ['origin', 'refused', 'unknown'].includes(state) ? this._problem : null;
    this._dev.hidden = !problem;
    this._dev.textContent = problem || '';
    clearInterval(this._ticker);
    this._count.textContent = '';
    delete this._count.dataset.seconds;
    if (showsQr || code) {
      this._tick();
      this._ticker = setInterval(() => this._tick(), 250);
    }
    const text = state === 'pairing' && !code ? s.pairingComing : state === 'phone' ? s.phoneHint : s[state] || '';
    if (changed || this._text.textContent !== text) this._text.textContent = text;
    if (changed) {
      this.setAttribute('state', state);
      this._emit('qr-state', { instance: this._instance(), state, instanceStatus: this._status || null,
        problem: problem || null });
    }
  }

  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }
}

if (!customElements.get('whatsapp-qr')) customElements.define('whatsapp-qr', WhatsAppQr);

export { WhatsAppQr };
