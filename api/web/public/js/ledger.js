// Talking to the node (api/README.md is the contract): reads with the session cookie, and
// events built here, encoded canonically (js/capnp.js), signed with the member's own key
// (js/keys.js) and submitted. Free texts travel beside the event; the event holds only their
// commitment (api/README.md, "Free texts").
import { encodeCanonical, hexToBytes } from "./capnp.js";
import { structs, enums } from "./schema.js";
import { randomBytes, sign, toHex } from "./keys.js";

export const schema = { structs, enums };

export class ApiError extends Error {
  constructor(status, code, message, reason) {
    super(message);
    this.status = status;
    this.code = code;      // the API's error code, or "rejected" with `reason` the ledger's
    this.reason = reason;  // reason code of a rejected event
  }
}

export async function api(method, path, body) {
  const init = { method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, "offline", String(e));
  }
  let json = null;
  try {
    json = await response.json();
  } catch {
    json = null;
  }
  if (!response.ok) {
    if (json && json.verdict === "rejected")
      throw new ApiError(response.status, "rejected", json.reason, json.reason);
    const e = (json && json.error) || {};
    throw new ApiError(response.status, e.code || "http_" + response.status, e.message || "");
  }
  return json;
}

const ascii = (s) => new TextEncoder().encode(s);

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function base64(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function u64be(v) {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(v));
  return b;
}

// SHA-256(tag || 0x00 || parts...), lower-case hex: the commitments of free texts and of
// invitation codes.
export async function taggedDigest(tag, ...parts) {
  const bytes = concat(ascii(tag), new Uint8Array([0]), ...parts);
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}

// A free text's commitment: SHA-256("uurwerk/personal/v1" || 0x00 || salt || text).
export function commitment(salt, text) {
  return taggedDigest("uurwerk/personal/v1", salt, ascii(text));
}

// Signs the member in: a session statement signed with their key, traded for an HttpOnly
// cookie the page's scripts never see (api/README.md, "Sessions"). 12 hours.
export async function signIn(identity) {
  const expires = Date.now() + 12 * 3600 * 1000;
  const statement = concat(u64be(identity.community), u64be(identity.member),
                           hexToBytes(identity.publicKey), u64be(expires), randomBytes(16));
  const signature = await sign(identity, concat(ascii("uurwerk/session/v1"), statement));
  return api("POST", "/v1/session", { token: base64(concat(statement, signature)) });
}

export function signOut() {
  return api("POST", "/v1/session/end", {});
}

let queue = Promise.resolve();

// Builds, signs and submits one event of `identity`: `kind` is the union member's name
// ("offerPosted"), `payload` its fields; `text` (optional) the free text whose commitment goes
// into `payload[textField]`; `onBehalfOf` the member a proxy acts for. Events of one browser go
// one at a time (each needs the key's next sequence number). Resolves to the node's answer
// ({id, offset, verdict: "accepted"}); a rejection throws ApiError "rejected" with its reason.
export function submit(identity, kind, payload, { text, textField, onBehalfOf, author } = {}) {
  const run = async () => {
    let lastSeq = 0n;
    try {
      const k = await api("GET", `/v1/communities/${identity.community}/keys/${identity.publicKey}`);
      lastSeq = BigInt(k.last_seq);
    } catch (e) {
      // A key not yet in the community (or a community not yet founded) signs seq 1.
      if (e.code !== "not_found" && e.code !== "unknown_community") throw e;
    }
    const body = {
      id: toHex(randomBytes(16)),
      community: String(identity.community),
      author: String(author || identity.member),
      seq: String(lastSeq + 1n),
      createdAtMs: String(Date.now()),
      [kind]: { ...payload },
    };
    if (onBehalfOf) body.onBehalfOf = String(onBehalfOf);
    let personal;
    if (text !== undefined) {
      const salt = randomBytes(16);
      body[kind][textField] = await commitment(salt, text);
      personal = { salt: toHex(salt), text };
    }
    const bytes = encodeCanonical(schema, "EventBody", body);
    const signature = await sign(identity, concat(ascii("uurwerk/event/v1"), bytes));
    const request = { body: base64(bytes), signer: identity.publicKey, signature: toHex(signature) };
    if (personal) request.personal = personal;
    return api("POST", "/v1/events", request);
  };
  const result = queue.then(run, run);
  queue = result.catch(() => undefined);
  return result;
}
