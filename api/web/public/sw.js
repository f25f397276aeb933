// The service worker: keeps the app's own files so the app starts on a phone without a
// connection and installs as an app. Data (/v1/...) is never cached: it always comes live.
// Files: the network first (a new version shows at once), the copy when the network fails.
const CACHE = "uurwerk-app-v2";
const FILES = ["/", "/index.html", "/css/app.css", "/js/app.js", "/js/dom.js", "/js/i18n.js",
               "/js/keys.js", "/js/ledger.js", "/js/capnp.js", "/js/schema.js", "/js/console.js", "/js/impact.js",
               "/i18n/nl.js", "/i18n/en.js", "/i18n/console.nl.js", "/i18n/console.en.js", "/manifest.webmanifest", "/icons/icon.svg",
               "/icons/icon-192.png", "/icons/icon-512.png"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/v1/") || url.pathname === "/metrics") return;
  event.respondWith(fetch(event.request).then((response) => {
    if (response.ok) {
      const copy = response.clone();
      caches.open(CACHE).then((c) => c.put(event.request, copy));
    }
    return response;
  }).catch(() => caches.match(event.request).then((hit) => hit || caches.match("/index.html"))));
});
