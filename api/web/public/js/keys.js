// The member's keys, made and kept in this browser: Ed25519 through WebCrypto, not extractable
// (the private key can sign here and can never be read out, not even by this app), kept in
// IndexedDB. One record per identity: {id, community, member, publicKey (hex), key (CryptoKeyPair),
// added_at}. Nothing here is ever sent anywhere but the public key and signatures.

const DB = "uurwerk";
const STORE = "identities";

export async function ed25519Supported() {
  if (!globalThis.isSecureContext || !globalThis.crypto || !crypto.subtle) return false;
  try {
    const k = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
    await crypto.subtle.sign({ name: "Ed25519" }, k.privateKey, new Uint8Array(1));
    return true;
  } catch {
    return false;
  }
}

function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "id" });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx(mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const t = db.transaction(STORE, mode);
    const out = fn(t.objectStore(STORE));
    t.oncomplete = () => { db.close(); resolve(out.result); };
    t.onerror = () => { db.close(); reject(t.error); };
    t.onabort = () => { db.close(); reject(t.error); };
  });
}

export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// A new key pair; the private half can sign and never leaves WebCrypto.
export async function newKeyPair() {
  const key = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", key.publicKey));
  return { key, publicKey: toHex(raw) };
}

export async function saveIdentity(identity) {
  await tx("readwrite", (s) => s.put(identity));
}

export async function identities() {
  return (await tx("readonly", (s) => s.getAll())) || [];
}

export async function forgetIdentity(id) {
  await tx("readwrite", (s) => s.delete(id));
}

export async function sign(identity, bytes) {
  return new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, identity.key.privateKey, bytes));
}

export function randomBytes(n) {
  return crypto.getRandomValues(new Uint8Array(n));
}
