// @ts-check
// Registers the service worker (sw.js) and tells the person what it means for them:
// "Ready to work offline" once this version is fully cached, "Update available - reload" when a newer
// version has been downloaded and waits. Also reloads the page once when the worker took control but
// the page is not cross-origin isolated yet (hosts like GitHub Pages cannot send COOP/COEP; the worker
// adds them), guarded by a sessionStorage flag so it can never loop. Threads stay optional: without
// isolation the app runs onnxruntime-web on one thread. Without service workers (blocked, private mode, file://) this
// does nothing and the app works as before.

const ISOLATION_RELOAD_KEY = 'googly-eyes:isolation-reload';
const statusLine = document.getElementById('offline-status');

/**
 * @param {string} text
 * @param {HTMLButtonElement} [button]
 */
function show(text, button) {
  if (!statusLine) return;
  statusLine.replaceChildren(text);
  if (button) statusLine.append(' ', button);
  statusLine.hidden = false;
}

function hasWork() {
  // Results or photos in flight would be lost by a reload.
  const googly = window.googly;
  return Boolean(googly && (googly.results.length || document.querySelector('#results .result')));
}

function isolationReload() {
  if (window.crossOriginIsolated || !navigator.serviceWorker.controller) return false;
  if (sessionStorage.getItem(ISOLATION_RELOAD_KEY) || hasWork()) return false;
  sessionStorage.setItem(ISOLATION_RELOAD_KEY, '1');
  location.reload();
  return true;
}

/**
 * @param {ServiceWorker} worker
 * @returns {Promise<string>}
 */
function askVersion(worker) {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = (event) => resolve(event.data.version);
    worker.postMessage({ type: 'version' }, [channel.port2]);
  });
}

/** @param {ServiceWorkerRegistration} registration */
function offerUpdate(registration) {
  const waiting = registration.waiting;
  if (!waiting || !navigator.serviceWorker.controller) return; // first install: nothing to replace
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'button secondary';
  button.id = 'update-reload';
  button.textContent = 'Update available - reload';
  button.addEventListener('click', () => {
    button.disabled = true;
    sessionStorage.setItem('googly-eyes:update-requested', '1');
    waiting.postMessage({ type: 'skip-waiting' });
  });
  show('A new version is ready.', button);
}

/** @returns {Promise<void>} */
function appIdle() {
  return new Promise((resolve) => {
    if (window.googly?.idle) resolve();
    window.addEventListener('googly:idle', () => resolve(), { once: true });
    // The app failed to start: offline support is still worth having.
    setTimeout(() => { if (window.googly?.readyMs == null) resolve(); }, 60_000);
  });
}

async function main() {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return;
  let registration;
  // Register once the app is ready and idle (app.js: the photos dropped so far are done, as the
  // precache competes with them for the CPU). By then the page has downloaded everything it needs,
  // so the precache finds it in the HTTP cache (sw.js revalidates, it does not download again)
  // and a first visit costs each file once.
  await appIdle();
  try {
    registration = await navigator.serviceWorker.register('./sw.js', { scope: './', updateViaCache: 'none' });
  } catch (error) {
    console.warn('Service worker not available; the app works without offline support.', error);
    return;
  }

  if (isolationReload()) return;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (sessionStorage.getItem('googly-eyes:update-requested')) {
      sessionStorage.removeItem('googly-eyes:update-requested');
      location.reload(); // the new version, all of it
    } else {
      isolationReload(); // the first worker just took control
    }
  });

  offerUpdate(registration);
  registration.addEventListener('updatefound', () => {
    const installing = registration.installing;
    installing?.addEventListener('statechange', () => {
      if (installing.state === 'installed') offerUpdate(registration);
    });
  });

  const ready = await navigator.serviceWorker.ready; // active: its precache is complete
  if (!ready.active) return;
  const version = await askVersion(ready.active);
  if (statusLine) statusLine.dataset.version = version;
  if (!registration.waiting) show('Ready to work offline.');
}

main();
