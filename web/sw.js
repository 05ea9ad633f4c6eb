// @ts-check
// The service worker: one file, three jobs.
//
// 1. Offline: a versioned precache. scripts/build_site.py writes build-info.json (every site file with
//    its sha256) and stamps CACHE_VERSION below with a hash of that file list, so any change to any
//    file changes this script's bytes and the browser installs a new worker. On install every file is
//    fetched (bypassing the HTTP cache), checked against its sha256 and put into a NEW cache named after
//    the version; files whose bytes did not change are copied from the previous version's cache after
//    the same check. Install succeeds only when every file arrived intact, so a partial or wrong
//    download never becomes a usable cache. On activate, older versions' caches are deleted. Requests
//    are answered from this version's cache only (never a mix of versions), else from the network.
//    Files a feature fetches only when first used (build-info.json's kept_when_used: the background's
//    model) are not precached; the first time one is fetched it is checked against its sha256 and put
//    into this version's cache, so the feature works offline from then on, and a new version copies it
//    over from the old cache when its bytes did not change.
//
// 2. Cross-origin isolation: every response it hands out carries COOP/COEP/CORP, so SharedArrayBuffer
//    and multi-threaded wasm work on hosts that cannot send headers (GitHub Pages). sw-register.js
//    reloads the page once after the worker takes control to pick the headers up.
//
// All URLs are relative to the worker's scope, so the site works at / and under /<repo>/.

/** @typedef {import('./protocol.js').BuildInfo} BuildInfo */
const worker = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));
const CACHE_VERSION = '__GOOGLY_CACHE_VERSION__'; // replaced by scripts/build_site.py
const CACHE_PREFIX = 'googly-eyes-';
const CACHE_NAME = CACHE_PREFIX + CACHE_VERSION;
const SCOPE = new URL('./', worker.location.href).href;
// Never precached: this script (the browser keeps it) and the list itself (fetched fresh on install).
const NOT_PRECACHED = new Set(['sw.js', 'build-info.json']);
const PARALLEL_DOWNLOADS = 6;

const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** @param {ArrayBuffer} buffer */
function hex(buffer) {
  return [...new Uint8Array(buffer)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** @param {Response} response */
async function sha256(response) {
  return hex(await crypto.subtle.digest('SHA-256', await response.clone().arrayBuffer()));
}

/** @returns {Promise<BuildInfo>} */
async function buildInfo() {
  const response = await fetch(new URL('build-info.json', SCOPE), { cache: 'reload' });
  if (!response.ok) throw new Error(`build-info.json: HTTP ${response.status}`);
  const info = await response.json();
  // A deploy between fetching sw.js and build-info.json: the lists would not match this script.
  if (info.cache_version !== CACHE_VERSION) {
    throw new Error(`build-info.json is version ${info.cache_version}, this worker is ${CACHE_VERSION}`);
  }
  return info;
}

/**
 * A copy of the file with these bytes from an older version's cache, or null.
 * @param {string} url
 * @param {string} expected  its sha256
 */
async function fromOlderCaches(url, expected) {
  for (const name of await caches.keys()) {
    if (!name.startsWith(CACHE_PREFIX) || name === CACHE_NAME) continue;
    const cached = await (await caches.open(name)).match(url);
    if (cached && (await sha256(cached)) === expected) return cached;
  }
  return null;
}

/**
 * @param {Cache} cache
 * @param {string} path  relative to the scope
 * @param {string} expected  its sha256
 */
async function precacheOne(cache, path, expected) {
  const url = new URL(path, SCOPE).href;
  let response = await fromOlderCaches(url, expected);
  if (!response) {
    // 'no-cache': revalidate with the server; a file the page just downloaded comes from the HTTP
    // cache (304), so a first visit does not download it twice. The sha256 check below holds either way.
    response = await fetch(url, { cache: 'no-cache', credentials: 'same-origin' });
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    const actual = await sha256(response);
    if (actual !== expected) throw new Error(`${path}: sha256 ${actual}, expected ${expected}`);
  }
  await cache.put(url, response);
}

async function precache() {
  const info = await buildInfo();
  // build-info.json's online_only: on the site but not needed by the app (benchmark models, unused
  // PyScript widgets); served from the network when asked for.
  const skip = new Set([...NOT_PRECACHED, ...(info.online_only ?? [])]);
  const todo = Object.entries(info.files).filter(([path]) => !skip.has(path));
  // Start from an empty cache: leftovers of an earlier failed install of this version are not trusted.
  await caches.delete(CACHE_NAME);
  const cache = await caches.open(CACHE_NAME);
  try {
    const workers = Array.from({ length: PARALLEL_DOWNLOADS }, async () => {
      for (let next = todo.shift(); next; next = todo.shift()) await precacheOne(cache, ...next);
    });
    await Promise.all(workers);
    // Kept after first use: carried over when unchanged (best effort: the page fetches them again if not).
    for (const path of info.kept_when_used ?? []) {
      const url = new URL(path, SCOPE).href;
      const older = await fromOlderCaches(url, info.files[path]);
      if (older) await cache.put(url, older);
    }
    // The marker the fetch handler and the page trust: written only after every file is in.
    await cache.put(new URL('build-info.json', SCOPE).href, new Response(JSON.stringify(info), {
      headers: { 'Content-Type': 'application/json' },
    }));
  } catch (error) {
    await caches.delete(CACHE_NAME); // a partial download never stays behind
    throw error;
  }
}

worker.addEventListener('install', (event) => {
  event.waitUntil(precache());
});

worker.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(CACHE_PREFIX) && name !== CACHE_NAME) await caches.delete(name);
    }
    await worker.clients.claim();
  })());
});

worker.addEventListener('message', (event) => {
  const type = event.data && event.data.type;
  if (type === 'skip-waiting') {
    worker.skipWaiting();
  } else if (type === 'version' && event.ports[0]) {
    event.ports[0].postMessage({ version: CACHE_VERSION });
  }
});

/** @param {Response} response */
function withIsolationHeaders(response) {
  // Opaque, error and redirect responses cannot be rebuilt; hand them over as they are.
  if (!response || response.status === 0 || response.type === 'opaqueredirect' || response.redirected) {
    return response;
  }
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(ISOLATION_HEADERS)) headers.set(name, value);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/** @type {Promise<BuildInfo | null> | null} this version's file list, as the precache stored it */
let storedInfo = null;

/** @returns {Promise<BuildInfo | null>} */
function installedInfo() {
  storedInfo ??= caches.match(new URL('build-info.json', SCOPE).href, { cacheName: CACHE_NAME })
    .then((response) => (response ? response.json() : null));
  return storedInfo;
}

/**
 * A file kept after first use (kept_when_used) from the network: into this version's cache if its bytes are
 * the ones build-info.json pins, handed over either way (the page checks them too and says if they are not).
 * @param {Request} request
 * @param {string} url
 * @param {string} expected  its sha256
 */
async function fetchAndKeep(request, url, expected) {
  const response = await fetch(request);
  if (response.ok && (await sha256(response)) === expected) {
    await (await caches.open(CACHE_NAME)).put(url, response.clone());
  }
  return response;
}

/** @param {Request} request */
async function respond(request) {
  const url = new URL(request.url);
  url.hash = '';
  url.search = ''; // a static site: the query never selects other bytes
  if (url.href.endsWith('/')) url.href += 'index.html';
  const cached = await caches.match(url.href, { cacheName: CACHE_NAME });
  if (cached) return withIsolationHeaders(cached);
  const info = await installedInfo();
  const path = url.href.slice(SCOPE.length);
  if (info?.kept_when_used?.includes(path)) return withIsolationHeaders(await fetchAndKeep(request, url.href, info.files[path]));
  return withIsolationHeaders(await fetch(request));
}

// 3. Share target (manifest.webmanifest's share_target): another app shares photos to the installed
//    app as a POST to ./share-target. There is no server: this worker keeps the files in the
//    SHARED_CACHE and sends the browser to the page, which takes them out (intake.js takeSharedFiles).
const SHARE_TARGET = new URL('share-target', SCOPE).href;
const SHARED_CACHE = 'googly-shared'; // not a googly-eyes-* cache: activate leaves it alone

/** @param {Request} request */
async function receiveShare(request) {
  /** @type {File[]} */
  let files = [];
  try {
    const form = await request.formData();
    files = form.getAll('photos').filter((value) => value instanceof File && value.size > 0).map((value) => /** @type {File} */ (value));
    const cache = await caches.open(SHARED_CACHE);
    const batch = Date.now();
    for (const [index, file] of files.entries()) {
      await cache.put(new URL(`shared/${batch}-${String(index).padStart(4, '0')}`, SCOPE).href, new Response(file, {
        headers: { 'Content-Type': file.type || 'application/octet-stream', 'X-File-Name': encodeURIComponent(file.name),
          'X-Last-Modified': String(file.lastModified) },
      }));
    }
  } catch (error) {
    console.error('The shared files could not be kept:', error);
    files = [];
  }
  return Response.redirect(new URL(`./?shared=${files.length}`, SCOPE).href, 303);
}

worker.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method === 'POST' && request.url.split('?')[0] === SHARE_TARGET) {
    event.respondWith(receiveShare(request));
    return;
  }
  if (request.method !== 'GET' || !request.url.startsWith(SCOPE)) return; // the browser's default
  if (request.headers.has('range')) return; // partial content is not in the cache
  event.respondWith(respond(request));
});
