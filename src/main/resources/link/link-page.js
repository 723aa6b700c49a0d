// The link page's own behaviour around its <whatsapp-qr> widget: once the WhatsApp is linked, say so and go on to the
// link's return_url; when the link stops opening the stream (revoked, expired, the instance gone), load the page again:
// the service then answers with the page that says why and whom to ask.
const config = JSON.parse(document.getElementById('link-config').textContent);
const widget = document.querySelector('whatsapp-qr');
const done = document.querySelector('.done');

widget.addEventListener('qr-state', event => {
  const state = event.detail.state;
  if (state === 'connected') {
    done.hidden = false;
    if (config.returnUrl) setTimeout(() => window.location.assign(config.returnUrl), 3000);
  } else {
    done.hidden = true;
  }
  if (state === 'refused' || state === 'unknown') {
    // at most once in 30 s, so that a page the service still serves does not reload for ever
    const last = Number(sessionStorage.getItem('link-reloaded-at') || 0);
    if (Date.now() - last > 30000) {
      sessionStorage.setItem('link-reloaded-at', String(Date.now()));
      window.location.reload();
    }
  }
});
