// The operators' wall of qr-refresher: polls GET wall/instances every 2 s with the cursor of the last answer, so that
// QR images travel only when they changed; cards are kept and updated in place (500 instances stay smooth).
const POLL_MS = 2000;
const $ = id => document.getElementById(id);
const wall = { token: sessionStorage.getItem('qr-wall-token'), cursor: 0, offset: 0, rows: new Map(), cards: new Map(),
  timer: null, order: '' };

function now() { return Date.now() + wall.offset; }

function seconds(ms) {
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
}

function showLogin(message) {
  clearTimeout(wall.timer);
  wall.token = null;
  sessionStorage.removeItem('qr-wall-token');
  $('login').hidden = false;
  $('controls').hidden = true;
  $('loginError').textContent = message || '';
  $('token').focus();
}

function banner(kind, text) {
  let element = document.querySelector(`.banner.${kind}`);
  if (!text) { if (element) element.remove(); return; }
  if (!element) {
    element = document.createElement('div');
    element.className = `banner ${kind}`;
    $('banners').append(element);
  }
  if (element.textContent !== text) element.textContent = text;
}

async function poll() {
  clearTimeout(wall.timer);
  try {
    const answer = await fetch(`wall/instances?since=${wall.cursor}`,
      { headers: { Authorization: `Bearer ${wall.token}` }, cache: 'no-store' });
    if (answer.status === 401 || answer.status === 403) { showLogin('That token was refused.'); return; }
    if (!answer.ok) throw new Error(`HTTP ${answer.status}`);
    apply(await answer.json());
    banner('offline', null);
  } catch (e) {
    banner('offline', `The service does not answer (${e.message}); retrying…`);
  }
  wall.timer = setTimeout(poll, POLL_MS);
}

function apply(body) {
  wall.offset = Date.parse(body.server_time) - Date.now();
  wall.cursor = body.cursor;
  const servers = body.servers || [];
  const fleet = servers.length > 1;
  const open = servers.filter(server => server.circuit_breaker === 'OPEN').map(server => server.name);
  const half = servers.filter(server => server.circuit_breaker === 'HALF_OPEN').map(server => server.name);
  banner('circuit', body.circuit === 'OPEN' ? (fleet ? `Circuit breaker OPEN for ${open.join(', ')}: no calls are made`
    + ' to it, its QR codes are not refreshed by polling (webhooks still are); the other servers go on.'
    : 'Evolution API circuit breaker is OPEN: no calls are made, QR codes are'
    + ' not refreshed by polling (webhooks still are). It lets trial calls through after its open duration.') : null);
  banner('half', body.circuit === 'HALF_OPEN' ? `Evolution API circuit breaker${fleet ? ` of ${half.join(', ')}` : ''}`
    + ' is half-open: trial calls decide whether it closes.' : null);
  wall.fleet = fleet;
  drawServers(servers);
  banner('paused', body.paused ? 'The scheduled refresh is paused (webhooks, manual runs and the API still work).'
    : null);
  const seen = new Set();
  for (const row of body.instances) {
    seen.add(row.name);
    const before = wall.rows.get(row.name);
    // an image comes only when it changed since the cursor: keep the one we have
    if (!row.qr_code && before && before.last_qr_update === row.last_qr_update) row.qr_code = before.qr_code;
    wall.rows.set(row.name, row);
    draw(row, before);
  }
  for (const name of [...wall.rows.keys()]) {
    if (!seen.has(name)) {
      wall.rows.delete(name); wall.cards.get(name)?.remove(); wall.cards.delete(name);
      if (wall.enlarged === name && $('enlarged').open) $('enlarged').close();
    }
  }
  const shown = body.instances.length;
  const failing = body.instances.filter(row => row.consecutive_failures > 0).length;
  $('summary').textContent = `${body.total_connecting} waiting · ${failing} failing`
    + (shown < body.total_connecting ? ` · showing ${shown}` : '');
  $('updated').textContent = `updated ${new Date(now()).toLocaleTimeString()}`;
  $('empty').hidden = shown > 0;
  arrange();
  tick();
}

// a card per Evolution server: its version, breaker, licence gate, waiting instances, fresh share, last error
function drawServers(servers) {
  const section = $('servers');
  section.hidden = servers.length === 0;
  section.replaceChildren(...servers.map(server => {
    const element = document.createElement('article');
    const down = server.circuit_breaker === 'OPEN' || server.licence_required;
    element.className = 'server' + (down ? ' down' : server.circuit_breaker !== 'CLOSED' || server.fresh < server.waiting
      ? ' warn' : '');
    const lines = [
      `Evolution ${server.version || 'version unknown'}`,
      server.licence_required ? 'Licence gate closed (503 LICENSE_REQUIRED): activate it in its manager'
        : `Circuit breaker ${server.circuit_breaker}`,
      `${server.waiting} waiting · ${server.fresh_percent}% with a valid QR` + (server.failing ? ` · ${server.failing} failing` : ''),
      server.last_error ? `Last error: ${server.last_error}` : (server.problem ? server.problem : '')];
    const title = document.createElement('h2');
    title.textContent = server.name;
    element.append(title);
    for (const line of lines.filter(Boolean)) {
      const p = document.createElement('p');
      p.textContent = line;
      if (line.startsWith('Last error') || line === server.problem) p.className = 'error';
      element.append(p);
    }
    return element;
  }));
}

function card(name) {
  let element = wall.cards.get(name);
  if (element) return element;
  element = document.createElement('article');
  element.className = 'card';
  element.innerHTML = '<button type="button" class="enlarge"><img class="thumb" decoding="async" alt=""></button>'
    + '<div><h2></h2><p class="on"></p><p class="age"></p><p class="expiry"></p><p class="fail"></p>'
    + '<p class="error"></p></div>';
  const enlarge = element.querySelector('.enlarge');
  // a 96 px thumbnail does not scan: the button shows the code large enough for a phone
  enlarge.setAttribute('aria-label', `Enlarge the QR code of ${name}`);
  enlarge.addEventListener('click', () => showEnlarged(name));
  element.querySelector('h2').textContent = name;
  wall.cards.set(name, element);
  return element;
}

function draw(row, before) {
  const element = card(row.name);
  const image = element.querySelector('img');
  if (row.qr_code && image.getAttribute('src') !== row.qr_code) image.src = row.qr_code;
  if (!row.qr_code) image.removeAttribute('src');
  // no image yet: an empty box, not its description (the card says "no QR yet")
  image.alt = row.qr_code ? `QR code of ${row.name}` : '';
  element.querySelector('.enlarge').disabled = !row.qr_code;
  if (wall.enlarged === row.name) showEnlarged(row.name);
  const fail = row.consecutive_failures > 0
    ? `${row.consecutive_failures} failed refresh${row.consecutive_failures > 1 ? 'es' : ''} in a row` : '';
  element.querySelector('.fail').textContent = fail;
  const error = element.querySelector('.error');
  error.textContent = row.last_error || '';
  error.title = row.last_error || '';
  element.classList.toggle('failing', row.consecutive_failures > 0);
  element.querySelector('.on').textContent = wall.fleet && row.server ? `on ${row.server}` : '';
}

// the enlarged code follows its instance: a new QR replaces it, a paired instance closes it
function showEnlarged(name) {
  const row = wall.rows.get(name);
  const dialog = $('enlarged');
  if (!row || !row.qr_code) { if (dialog.open) dialog.close(); return; }
  const image = $('enlargedImage');
  if (image.getAttribute('src') !== row.qr_code) image.src = row.qr_code;
  image.alt = `QR code of ${name}`;
  $('enlargedName').textContent = name;
  wall.enlarged = name;
  if (!dialog.open) dialog.showModal();
}

function arrange() {
  const filter = $('filter').value.trim().toLowerCase();
  const rows = [...wall.rows.values()].filter(row => !filter || row.name.toLowerCase().includes(filter)
    || (row.server || '').toLowerCase() === filter);
  const sort = $('sort').value;
  if (sort === 'name') rows.sort((a, b) => a.name.localeCompare(b.name));
  if (sort === 'expiry') rows.sort((a, b) => (Date.parse(a.qr_expires_at) || 0) - (Date.parse(b.qr_expires_at) || 0));
  const order = rows.map(row => row.name).join('\n');
  if (order === wall.order) return;
  wall.order = order;
  $('grid').replaceChildren(...rows.map(row => wall.cards.get(row.name)));
}

function tick() {
  const at = now();
  for (const row of wall.rows.values()) {
    const element = wall.cards.get(row.name);
    const updated = Date.parse(row.last_qr_update);
    const expires = Date.parse(row.qr_expires_at);
    element.querySelector('.age').textContent = row.qr_code && updated ? `QR ${seconds(at - updated)} old`
      : 'no QR yet';
    const expiry = element.querySelector('.expiry');
    const expired = expires && expires <= at;
    expiry.textContent = !expires ? '' : expired ? `expired ${seconds(at - expires)} ago` : `expires in ${seconds(expires - at)}`;
    expiry.classList.toggle('expired', !!expired);
    element.classList.toggle('stale', !row.qr_code || !!expired);
  }
}

$('login').addEventListener('submit', event => {
  event.preventDefault();
  wall.token = $('token').value.trim();
  sessionStorage.setItem('qr-wall-token', wall.token);
  $('token').value = '';
  start();
});
$('forget').addEventListener('click', () => showLogin('Token forgotten.'));
$('closeEnlarged').addEventListener('click', () => $('enlarged').close());
$('enlarged').addEventListener('close', () => { wall.enlarged = null; });
$('filter').addEventListener('input', arrange);
$('sort').addEventListener('change', () => { wall.order = ''; arrange(); });

function start() {
  $('login').hidden = true;
  $('controls').hidden = false;
  wall.cursor = 0;
  poll();
}

setInterval(tick, 1000);
if (wall.token) start(); else showLogin();
