// The uurwerk web app: one page, screens chosen by the address's #fragment. Each member's key is
// made and kept in this browser (js/keys.js); every action is an event this page builds, signs
// and submits (js/ledger.js); reads go with the session cookie; an open page follows the
// member's event stream (server-sent events) and redraws when something changes for them.
import { h, replace, field } from "./dom.js";
import { t, duration, when, setLanguage, language, loadLanguage } from "./i18n.js";
import { ed25519Supported, identities, newKeyPair, saveIdentity, forgetIdentity,
         randomBytes, toHex } from "./keys.js";
import { api, submit, signIn, taggedDigest, ApiError } from "./ledger.js";

const TEXT_MAX = 600;
const categories = ["companionship", "shopping", "dogWalking", "childminding", "oddJobs", "lifts",
                    "computerHelp", "meals", "gardening", "other"];
const intensities = ["once", "sometimes", "regularly"];

const state = {
  me: null,          // the identity in use: {id, community, member, publicKey, key}
  subject: null,     // the member whose screens these are: me, or someone I act for
  subjectName: null,
  signedIn: false,
  stream: null,
  overview: null,
};

const main = () => document.getElementById("main");
const status = () => document.getElementById("status");

// A message stays for the screen an action leads to, and goes at the next navigation after it.
let saidSinceNavigation = false;
function say(text, kind = "info") {
  const el = status();
  el.className = "status " + kind;
  el.textContent = text;
  saidSinceNavigation = false;
}

// Says something the next screen must still show (it stays through one navigation).
function sayOnNext(text, kind) {
  say(text, kind);
  saidSinceNavigation = true;
}

// Says what an action did and goes to the screen it leads to, where the message stays.
function goWith(text, hash) {
  sayOnNext(text, "ok");
  location.hash = hash;
}

// The live indicator, in the current language.
function drawLive() {
  const live = document.getElementById("live");
  if (!state.live) { live.textContent = ""; live.className = "live"; return; }
  live.textContent = t(state.live === "on" ? "live.connected" : "live.offline");
  live.className = "live " + state.live;
}

function explain(e) {
  if (e instanceof ApiError) {
    if (e.code === "offline") return t("error.offline");
    if (e.code === "unauthenticated") return t("error.session");
    if (e.code === "rejected") {
      const reason = t("reason." + e.reason);
      return t("error.rejected", { reden: reason.startsWith("reason.") ? e.reason : reason });
    }
    if (e.code === "invitation_used") return t("join.used");
    if (e.code === "invitation_expired") return t("join.expired");
    if (e.code === "invitation_unknown") return t("join.unknown");
    if (e.code === "signer_revoked") return t("device.revoked");
    return t("error.generic", { melding: e.message || e.code });
  }
  return t("error.generic", { melding: String(e && e.message ? e.message : e) });
}

// Runs `fn` for a button: disabled while it works, any failure said in the status line.
async function act(button, fn) {
  if (button) button.disabled = true;
  say(t("busy"));
  try {
    await fn();
  } catch (e) {
    say(explain(e), "error");
    return false;
  } finally {
    if (button) button.disabled = false;
  }
  if (status().textContent === t("busy")) say("");  // the caller says what happened, if anything
  return true;
}

const base = () => `/v1/communities/${state.me.community}/members/${state.subject}`;
const onBehalf = () => (state.subject !== state.me.member ? state.subject : undefined);
const nameOr = (name, member) => name || t("member.unknown", { lid: member });

// ---------------------------------------------------------------------------------------------
// The frame: header, navigation, language.

function header() {
  const nav = state.me
    ? h("nav", { "aria-label": "menu" },
        h("a", { href: "#home" }, t("nav.home")),
        h("a", { href: "#post/offer" }, t("nav.offer")),
        h("a", { href: "#post/request" }, t("nav.request")),
        h("a", { href: "#history" }, t("nav.history")),
        h("a", { href: "#care" }, t("nav.care")),
        h("a", { href: "#profile" }, t("nav.profile")),
        state.isCoordinator ? h("a", { href: "#invite" }, t("nav.invite")) : null,
        state.isCoordinator ? h("a", { href: "#console" }, t("nav.console")) : null)
    : null;
  const other = language() === "nl" ? "en" : "nl";
  replace(document.getElementById("top"),
    h("div", { class: "bar" },
      h("a", { href: "#home", class: "brand" }, t("app.title")),
      h("button", { type: "button", class: "link", lang: other, id: "language",
                    onclick: () => { setLanguage(other); route(); } }, t("nav.language"))),
    nav,
    state.me && state.subject !== state.me.member
      ? h("p", { class: "acting", role: "note" },
          t("home.acting_for", { naam: nameOr(state.subjectName, state.subject) }), " ",
          h("button", { type: "button", class: "link",
                        onclick: () => { setSubject(state.me.member, null); route(); } },
            t("home.back_to_me")))
      : null);
}

function screen(title, ...children) {
  document.title = title + " · uurwerk";
  header();
  drawLive();
  replace(main(), h("h1", { tabindex: "-1", id: "title" }, title), children);
  const heading = document.getElementById("title");
  if (heading && document.activeElement !== heading) heading.focus({ preventScroll: true });
}

// ---------------------------------------------------------------------------------------------
// Who is using the app.

function setSubject(member, name) {
  state.subject = member;
  state.subjectName = name;
  try { sessionStorage.setItem("uurwerk.subject", JSON.stringify({ member, name })); } catch { }
  follow();
}

async function useIdentity(identity) {
  state.me = identity;
  try { localStorage.setItem("uurwerk.identity", identity.id); } catch { }
  await signIn(identity);
  state.signedIn = true;
  let subject = { member: identity.member, name: null };
  try {
    const saved = JSON.parse(sessionStorage.getItem("uurwerk.subject") || "null");
    if (saved && saved.member) subject = saved;
  } catch { }
  setSubject(subject.member, subject.name);
}

// Reads; a session that lapsed (12 hours, or the node restarted its clock) is renewed once
// with the key, which is here.
async function read(path) {
  try {
    return await api("GET", path);
  } catch (e) {
    if (e.code !== "unauthenticated" || !state.me) throw e;
    await signIn(state.me);
    return api("GET", path);
  }
}

// ---------------------------------------------------------------------------------------------
// Live: the subject's event stream. Any change redraws the screen that shows their data.

let redrawTimer = null;
function follow() {
  if (state.stream) state.stream.close();
  state.stream = null;
  if (!state.me || typeof EventSource === "undefined") return;
  const s = new EventSource(base() + "/stream");
  state.stream = s;
  s.addEventListener("ready", () => { state.live = "on"; drawLive(); });
  s.addEventListener("change", () => {
    clearTimeout(redrawTimer);
    redrawTimer = setTimeout(() => {
      const screenName = location.hash.replace(/^#/, "").split("/")[0] || "home";
      if (screenName === "home" || screenName === "history") route("live");
    }, 100);
  });
  s.addEventListener("resync", () => route("live"));
  s.onerror = () => { state.live = "off"; drawLive(); };
}

// ---------------------------------------------------------------------------------------------
// Screens.

function unsupported() {
  screen(t("unsupported.title"), h("p", {}, t("unsupported.text")));
}

async function welcome() {
  const known = await identities();
  screen(t("welcome.title"),
    h("p", { class: "lead" }, t("app.tagline")),
    h("p", {}, t("welcome.text")),
    known.length
      ? h("section", {}, h("h2", {}, t("welcome.pick")),
          known.map((id) => h("button", { type: "button", class: "big",
            onclick: async (ev) => {
              if (await act(ev.currentTarget, () => useIdentity(id))) location.hash = "#home";
            } }, t("welcome.as", { naam: id.name || t("member.unknown", { lid: id.member }) }))))
      : null);
}

async function join(community, invitation, code) {
  screen(t("join.title"), h("p", {}, t("join.checking")));
  let inv;
  try {
    inv = await api("POST", `/v1/communities/${community}/invitations/${invitation}/check`, { code });
  } catch (e) {
    screen(t("join.title"), h("p", { class: "error", role: "alert" }, explain(e)));
    return;
  }
  if (inv.status !== "open") {
    screen(t("join.title"), h("p", { class: "error", role: "alert" },
      t(inv.status === "used" ? "join.used" : "join.expired")));
    return;
  }
  let name = "";
  try { name = (await api("GET", `/v1/communities/${community}`)).name; } catch { }
  const what = inv.purpose === "join" ? t("join.for_join", { gemeenschap: name || community })
    : inv.purpose === "add_device" ? t("join.for_device", { lid: inv.member })
    : t("join.for_replace");
  screen(t("join.title"),
    h("p", { class: "lead" }, what),
    h("p", {}, t("join.explain")),
    h("p", {}, t("join.expires", { datum: new Date(Number(inv.expires_at_ms)).toLocaleString(language(), { dateStyle: "long", timeStyle: "short" }) })),
    h("button", { type: "button", class: "big primary", onclick: async (ev) => {
      const ok = await act(ev.currentTarget, async () => {
        const pair = await newKeyPair();
        const identity = { id: `${community}/${inv.member}/${pair.publicKey}`, community: String(community),
                           member: String(inv.member), publicKey: pair.publicKey, key: pair.key,
                           added_at: Date.now() };
        await submit(identity, "invitationRedeemed", { invitation, code });
        await saveIdentity(identity);
        // A replaced member's old keys no longer work: forget them here too.
        for (const old of await identities())
          if (old.id !== identity.id && old.community === identity.community &&
              old.member === identity.member && inv.purpose === "replace_keys")
            await forgetIdentity(old.id);
        await useIdentity(identity);
      });
      if (!ok) return;
      goWith(t(inv.purpose === "join" ? "join.done" : "join.done_device"),
             inv.purpose === "join" ? "#profile" : "#home");
    } }, t("join.accept")));
}

function balanceText(minutes) {
  if (minutes > 0) return t("home.balance_plus", { tijd: duration(minutes) });
  if (minutes < 0) return t("home.balance_minus", { tijd: duration(minutes) });
  return t("home.balance_zero");
}

function button(label, onclick, cls = "") {
  return h("button", { type: "button", class: cls, onclick }, label);
}

async function home() {
  const o = await read(base() + "/overview");
  state.overview = o;
  if (state.subject === state.me.member) state.isCoordinator = o.role === "coordinator";
  if (state.subject === state.me.member && o.display_name && !state.me.name) {
    state.me.name = o.display_name;
    await saveIdentity(state.me);
  }
  const send = (kind, payload, extra = {}) =>
    submit(state.me, kind, payload, { onBehalfOf: onBehalf(), ...extra });
  const waiting = [];
  for (const p of o.proposals) {
    const vars = { naam: nameOr(p.other_name, p.other), wanneer: when(p.availability || 0),
                   doen: t("do." + p.category), wat: t("help." + p.category) };
    waiting.push(h("li", { class: "card proposal" },
      h("p", {}, t(p.my_part === "requester" ? "home.proposal" : "home.proposal_helper", vars)),
      h("div", { class: "actions" },
        button(t("home.yes"), (ev) => act(ev.currentTarget, async () => {
          await send("matchAccepted", { match: p.match }); say(t("saved"), "ok"); await home(); }), "primary"),
        button(t("home.no"), (ev) => act(ev.currentTarget, async () => {
          await send("matchDeclined", { match: p.match }); say(t("saved"), "ok"); await home(); })))));
  }
  for (const c of o.claims_to_confirm) {
    if (c.status !== "pending") continue;
    waiting.push(h("li", { class: "card claim" },
      h("p", {}, t("home.claim_to_confirm", { naam: nameOr(c.other_name, c.other), tijd: duration(c.minutes) })),
      c.note ? h("p", { class: "note" }, c.note) : null,
      h("div", { class: "actions" },
        button(t("home.confirm"), (ev) => act(ev.currentTarget, async () => {
          await send("hoursConfirmed", { claim: c.claim }); say(t("saved"), "ok"); await home(); }), "primary"),
        h("a", { href: `#dispute/${c.claim}`, class: "button" }, t("home.dispute")))));
  }
  for (const c of o.to_endorse || []) {
    waiting.push(h("li", { class: "card thanks" },
      h("p", {}, t("home.endorse", { naam: nameOr(c.other_name, c.other), tijd: duration(c.minutes) })),
      h("div", { class: "actions" }, h("a", { href: `#endorse/${c.claim}`, class: "button" }, t("home.endorse_button")))));
  }
  const matches = [];
  for (const m of o.matches) {
    let contact = null;
    try { contact = await read(`/v1/communities/${state.me.community}/members/${m.other}/contact`); } catch { }
    matches.push(h("li", { class: "card match" },
      h("p", {}, t("home.match_with", { naam: nameOr(m.other_name, m.other), wat: t("help." + m.category) })),
      contact && contact.phone ? h("p", {}, t("home.contact", { telefoon: contact.phone })) : null,
      contact && contact.email ? h("p", {}, t("home.contact_email", { email: contact.email })) : null,
      h("div", { class: "actions" },
        m.my_part === "helper" ? h("a", { href: `#claim/${m.match}`, class: "button" }, t("home.claim_hours")) : null,
        button(t("home.end_match"), (ev) => act(ev.currentTarget, async () => {
          await send("matchEnded", { match: m.match }); say(t("saved"), "ok"); await home(); })))));
  }
  const b = o.balance;
  screen(o.display_name ? `${t("home.title")}: ${o.display_name}` : t("home.title"),
    h("section", { class: "balance", "aria-labelledby": "balance-h" },
      h("h2", { id: "balance-h" }, t("home.balance")),
      h("p", { class: "amount", id: "balance" }, balanceText(b.balance_minutes)),
      b.pending_in_minutes ? h("p", {}, t("home.pending_in", { tijd: duration(b.pending_in_minutes) })) : null,
      h("p", { id: "credit-limit" }, b.credit_limit_minutes > 0
        ? t("home.credit_limit", { tijd: duration(b.credit_limit_minutes) }) : t("home.no_credit"))),
    o.verified ? null : h("p", { class: "hint", id: "not-verified" }, t("home.not_verified")),
    o.suspended ? h("p", { class: "error", id: "suspended", role: "alert" }, t("home.suspended")) : null,
    h("section", { "aria-labelledby": "waiting-h" },
      h("h2", { id: "waiting-h" }, t("home.waiting")),
      waiting.length ? h("ul", { class: "cards", id: "waiting" }, waiting) : h("p", {}, t("home.nothing_waiting"))),
    matches.length ? h("section", { "aria-labelledby": "matches-h" },
      h("h2", { id: "matches-h" }, t("home.matches")), h("ul", { class: "cards", id: "matches" }, matches)) : null,
    o.claims_sent.length ? h("section", { "aria-labelledby": "sent-h" },
      h("h2", { id: "sent-h" }, t("home.claims_sent")),
      h("ul", { class: "plain" }, o.claims_sent.map((c) => h("li", {},
        t("home.claim_sent", { tijd: duration(c.minutes), naam: nameOr(c.other_name, c.other),
                               status: t("claim_status." + c.status) }))))) : null,
    h("section", { "aria-labelledby": "posts-h" },
      h("h2", { id: "posts-h" }, t("home.posts")),
      o.posts.length
        ? h("ul", { class: "cards", id: "posts" }, o.posts.map((p) => h("li", { class: "card" },
            h("p", {}, t(p.type === "offer" ? "home.offer_line" : "home.request_line",
                         { wat: t("category." + p.category), hoe: t("intensity." + p.intensity) })),
            h("p", { class: "when" }, when(p.availability)),
            p.text ? h("p", { class: "note" }, p.text) : null,
            h("div", { class: "actions" }, button(t("home.withdraw"), (ev) => act(ev.currentTarget, async () => {
              await send("postWithdrawn", { post: p.id }); say(t("saved"), "ok"); await home(); }))))))
        : h("p", {}, t("home.no_posts"))));
}

function textArea(id, max) {
  const area = h("textarea", { id, rows: 4, maxlength: String(max * 2) });
  const count = h("p", { class: "hint", id: id + "-count", "aria-live": "polite" });
  const update = () => {
    const n = [...area.value].length;
    count.textContent = t("post.count", { n, max });
    count.classList.toggle("over", n > max);
  };
  area.addEventListener("input", update);
  update();
  area.setAttribute("aria-describedby", id + "-count");
  return { area, count };
}

function postForm(type) {
  const title = t(type === "offer" ? "post.offer_title" : "post.request_title");
  const category = h("select", { id: "category" },
    categories.map((c) => h("option", { value: c }, t("category." + c))));
  const intensity = h("fieldset", {}, h("legend", {}, t("post.intensity")),
    intensities.map((i, n) => h("label", { class: "choice" },
      h("input", { type: "radio", name: "intensity", value: i, checked: n === 0 }), " ", t("intensity." + i))));
  const area = h("input", { id: "area", inputmode: "numeric", autocomplete: "postal-code", maxlength: "8" });
  const grid = h("table", { class: "grid" },
    h("caption", {}, t("post.when_hint")),
    h("thead", {}, h("tr", {}, h("td", {}), [0, 1, 2].map((p) => h("th", { scope: "col" }, t("part." + p))))),
    h("tbody", {}, [0, 1, 2, 3, 4, 5, 6].map((d) => h("tr", {},
      h("th", { scope: "row" }, t("day." + d)),
      [0, 1, 2].map((p) => h("td", {}, h("input", { type: "checkbox", class: "slot", value: String(3 * d + p),
        "aria-label": t("when.slot", { dag: t("day." + d), deel: t("part." + p) }) })))))));
  const { area: text, count } = textArea("text", TEXT_MAX);
  const submitButton = h("button", { type: "submit", class: "big primary" }, t("post.submit"));
  const form = h("form", { novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    const words = text.value.trim();
    const postcode = area.value.replace(/\s+/g, "").slice(0, 4);
    if (!/^[0-9]{4}$/.test(postcode)) { say(t("post.area_needed"), "error"); area.focus(); return; }
    if (!words) { say(t("post.text_needed"), "error"); text.focus(); return; }
    if ([...words].length > TEXT_MAX) { say(t("post.too_long", { max: TEXT_MAX }), "error"); text.focus(); return; }
    let bits = 0;
    for (const box of form.querySelectorAll("input.slot")) if (box.checked) bits |= 1 << Number(box.value);
    const ok = await act(submitButton, () => submit(state.me, type === "offer" ? "offerPosted" : "requestPosted", {
      category: category.value,
      intensity: form.querySelector("input[name=intensity]:checked").value,
      area: postcode,
      availability: bits,
    }, { text: words, textField: "textDigest", onBehalfOf: onBehalf() }));
    if (ok) goWith(t("post.done"), "#home");
  } },
    field(t("post.category"), category),
    intensity,
    field(t("post.area"), area),
    h("fieldset", {}, h("legend", {}, t("post.when")), grid),
    field(t("post.text"), text), count,
    submitButton);
  screen(title, form);
}

function claimForm(match) {
  const m = (state.overview ? state.overview.matches : []).find((x) => x.match === match);
  if (!m) { location.hash = "#home"; return; }
  const hours = h("input", { id: "hours", type: "number", min: "0", max: "24", step: "1", inputmode: "numeric", value: "1" });
  const minutes = h("input", { id: "minutes", type: "number", min: "0", max: "59", step: "5", inputmode: "numeric", value: "0" });
  const { area: note, count } = textArea("note", TEXT_MAX);
  const submitButton = h("button", { type: "submit", class: "big primary" }, t("claim.submit"));
  const other = nameOr(m.other_name, m.other);
  screen(t("claim.title"), h("p", { class: "lead" }, t("claim.for", { naam: other })),
    h("form", { novalidate: true, onsubmit: async (ev) => {
      ev.preventDefault();
      const u = hours.value.trim() === "" ? 0 : Number(hours.value);
      const mm = minutes.value.trim() === "" ? 0 : Number(minutes.value);
      if (!Number.isInteger(u) || !Number.isInteger(mm) || u < 0 || mm < 0 || mm > 59) {
        say(t("claim.bad_number"), "error"); hours.focus(); return;
      }
      if (u * 60 + mm <= 0) { say(t("claim.zero"), "error"); hours.focus(); return; }
      const words = note.value.trim();
      if ([...words].length > TEXT_MAX) { say(t("post.too_long", { max: TEXT_MAX }), "error"); note.focus(); return; }
      const ok = await act(submitButton, () => submit(state.me, "hoursClaimed",
        { receiver: String(m.other), minutes: String(u * 60 + mm), post: match },
        words ? { text: words, textField: "noteDigest", onBehalfOf: onBehalf() } : { onBehalfOf: onBehalf() }));
      if (ok) goWith(t("claim.done", { naam: other }), "#home");
    } },
      h("div", { class: "row" }, field(t("claim.hours"), hours), field(t("claim.minutes"), minutes)),
      field(t("claim.note"), note), count, submitButton));
}

function disputeForm(claim) {
  const { area: reason, count } = textArea("reason", TEXT_MAX);
  const submitButton = h("button", { type: "submit", class: "big primary" }, t("dispute.submit"));
  screen(t("home.dispute"), h("form", { novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    const words = reason.value.trim();
    if ([...words].length > TEXT_MAX) { say(t("post.too_long", { max: TEXT_MAX }), "error"); return; }
    const ok = await act(submitButton, () => submit(state.me, "hoursDisputed", { claim },
      words ? { text: words, textField: "reasonDigest", onBehalfOf: onBehalf() } : { onBehalfOf: onBehalf() }));
    if (ok) goWith(t("saved"), "#home");
  } }, field(t("dispute.reason"), reason), count, submitButton));
}

// The profile document (ledger/core/profile.h): one "field=value" line each.
function profileDocument(p) {
  const line = (k, v) => (v ? `${k}=${v.replace(/[\u0000-\u001f\u007f]/g, " ").trim()}\n` : "");
  return line("name", p.name) + line("phone", p.phone) + line("email", p.email) +
    line("languages", language()) + line("about", p.about);
}

async function profile() {
  let current = {};
  try { current = await read(`${base()}/contact`); } catch { }
  const name = h("input", { id: "name", autocomplete: "name", maxlength: "80", value: current.display_name || "" });
  const phone = h("input", { id: "phone", type: "tel", autocomplete: "tel", maxlength: "32", value: current.phone || "" });
  const email = h("input", { id: "email", type: "email", autocomplete: "email", maxlength: "254", value: current.email || "" });
  const { area: about, count } = textArea("about", TEXT_MAX);
  about.value = current.about || "";
  about.dispatchEvent(new Event("input"));
  const save = h("button", { type: "submit", class: "big primary" }, t("profile.save"));
  const leaveButton = h("button", { type: "button", class: "danger" }, t("profile.leave"));
  leaveButton.addEventListener("click", async () => {
    const word = language() === "nl" ? "JA" : "YES";
    const answer = prompt(t("profile.leave_confirm"));
    if (!answer || answer.trim().toUpperCase() !== word) return;
    const ok = await act(leaveButton, () => submit(state.me, "memberLeft", { member: String(state.subject) },
      { onBehalfOf: onBehalf() }));
    if (ok) {
      if (state.subject === state.me.member) await forgetIdentity(state.me.id);
      screen(t("profile.leave_title"), h("p", {}, t("profile.left")));
    }
  });
  screen(t("profile.title"),
    h("form", { novalidate: true, onsubmit: async (ev) => {
      ev.preventDefault();
      const p = { name: name.value.trim(), phone: phone.value.trim(), email: email.value.trim(), about: about.value.trim() };
      if (!p.name) { say(t("profile.name_needed"), "error"); name.focus(); return; }
      if ([...p.about].length > TEXT_MAX) { say(t("post.too_long", { max: TEXT_MAX }), "error"); about.focus(); return; }
      const ok = await act(save, () => submit(state.me, "profileUpdated", { member: String(state.subject) },
        { text: profileDocument(p), textField: "profileDigest", onBehalfOf: onBehalf() }));
      if (ok) { say(t("profile.saved"), "ok"); if (state.subject === state.me.member) { state.me.name = p.name; await saveIdentity(state.me); } }
    } },
      field(t("profile.name"), name), field(t("profile.phone"), phone), field(t("profile.email"), email),
      field(t("profile.about"), about), count, save),
    await mailChoice(Boolean(current.email)),
    h("p", {}, h("a", { href: `${base()}/export`, download: "uurwerk-mijn-gegevens.json", class: "button" }, t("profile.export"))),
    state.subject === state.me.member ? h("p", {}, h("a", { href: "#device", class: "button" }, t("device.title"))) : null,
    h("section", { class: "leave", "aria-labelledby": "leave-h" },
      h("h2", { id: "leave-h" }, t("profile.leave_title")),
      h("p", {}, t("profile.leave_text")), leaveButton));
}

// How often the member gets e-mail (api/README.md, "E-mail"): kept by the node beside the profile,
// changed at once. Not shown when the node sends no mail (the route then answers 503 no_mail).
async function mailChoice(hasAddress) {
  let now = null;
  try { now = (await read(`${base()}/mail`)).frequency; } catch { return null; }
  const choice = h("select", { id: "mail", onchange: async () => {
    const ok = await act(choice, () => api("POST", `${base()}/mail`, { frequency: choice.value }));
    if (ok) say(t("mail.saved"), "ok");
  } }, ["at_once", "daily", "weekly", "never"].map((f) =>
    h("option", { value: f, selected: f === now }, t("mail." + f))));
  return h("section", { "aria-labelledby": "mail-h" }, h("h2", { id: "mail-h" }, t("mail.title")),
    field(t("mail.how_often"), choice, t(hasAddress ? "mail.hint" : "mail.no_address")));
}

// Display names of other members, looked up once per screen.
function nameBook() {
  const names = new Map();
  return async (member) => {
    if (member === "0" || member === "seed") return null;
    if (!names.has(member)) {
      const p = await read(`/v1/communities/${state.me.community}/members/${member}/profile`).catch(() => null);
      names.set(member, p && p.display_name);
    }
    return names.get(member);
  };
}

function day(ms) {
  const text = new Date(Number(ms)).toLocaleDateString(language(), { weekday: "long", day: "numeric", month: "long" });
  return text.charAt(0).toUpperCase() + text.slice(1);
}

async function historyScreen() {
  // The newest page: ask from the start and follow "next" (a member's history is short).
  let entries = [];
  for (let from = "0", pages = 0; pages < 20; pages++) {
    const page = await read(`${base()}/history?from=${from}&limit=1000`);
    entries = entries.concat(page.entries);
    if (page.entries.length === 0 || page.next === from) break;
    from = page.next;
  }
  const rep = await read(`${base()}/reputation`).catch(() => null);
  const nameOf = nameBook();
  const lines = [];
  for (const e of entries.slice().reverse()) {
    if (e.verdict !== "accepted" || e.balance_delta_minutes === 0) continue;
    const vars = { datum: day(e.at_ms), tijd: duration(e.balance_delta_minutes),
                   naam: nameOr(await nameOf(e.counterparty), e.counterparty) };
    const key = (e.balance_delta_minutes > 0 ? "history.line_in" : "history.line_out") + (e.category ? "_for" : "");
    if (e.category) vars.wat = t("help." + e.category);
    lines.push(h("li", {}, t(key, vars)));
  }
  let why = null;
  if (rep && rep.why && rep.why.length) {
    const parts = [];
    for (const w of rep.why.slice(0, 5)) {
      const who = w.from === "seed" ? t("history.seed") : nameOr(await nameOf(w.from), w.from);
      parts.push(`${who} (${Math.round(Number(w.share) * 100)} %)`);
    }
    why = h("p", {}, t("history.reputation_why", { van: parts.join(", ") }));
  }
  screen(t("history.title"),
    rep ? h("p", { class: "lead" }, t("history.reputation", { score: Number(rep.score).toFixed(1) })) : null,
    why,
    rep ? h("p", { class: "hint" }, t("history.reputation_explain")) : null,
    h("h2", {}, t("history.lines")),
    lines.length ? h("ul", { class: "plain", id: "history" }, lines) : h("p", {}, t("history.empty")),
    h("p", {}, h("a", { href: "#statement", class: "button" }, t("statement.open"))));
}

// A statement of the confirmed hours a member gave, to print on A4 (css/app.css, @media print),
// with a QR code that leads to their hour certificate (api/README.md, "certificate"): what an
// auditor verifies offline, proved against the latest signed checkpoint.
async function statementScreen(yearWanted) {
  const thisYear = new Date().getFullYear();
  const year = /^[0-9]{4}$/.test(yearWanted || "") ? Number(yearWanted) : thisYear;
  const from = Date.UTC(year, 0, 1), to = Date.UTC(year + 1, 0, 1);
  const [x, c] = await Promise.all([read(base() + "/export"),
                                    read(`/v1/communities/${state.me.community}`).catch(() => null)]);
  const nameOf = nameBook();
  const given = (x.claims || []).filter((k) => k.status === "confirmed" && k.claimant === String(state.subject) &&
    Number(k.confirmed_at_ms) >= from && Number(k.confirmed_at_ms) < to);
  given.sort((a, b) => Number(a.confirmed_at_ms) - Number(b.confirmed_at_ms));
  const rows = [];
  let total = 0;
  for (const k of given) {
    total += Number(k.minutes);
    rows.push(h("tr", {},
      h("td", {}, new Date(Number(k.confirmed_at_ms)).toLocaleDateString(language(), { day: "numeric", month: "short" })),
      h("td", {}, nameOr(await nameOf(k.receiver), k.receiver)),
      h("td", {}, k.category ? t("category." + k.category) : ""),
      h("td", { class: "number" }, duration(k.minutes))));
  }
  const certificate = `${base()}/certificate?from_ms=${from}&to_ms=${to}`;
  let proved = null;
  try {
    const cert = await read(certificate);
    proved = h("p", { id: "certificate-total" }, t("statement.certified", { tijd: duration(Number(cert.total_minutes)) }));
  } catch (e) {
    proved = h("p", { id: "certificate-total" }, t(e.code === "no_checkpoint" ? "statement.no_checkpoint" : "statement.no_certificate"));
  }
  const years = h("select", { id: "year", onchange: () => { location.hash = "#statement/" + years.value; } },
    [thisYear, thisYear - 1, thisYear - 2].map((y) => h("option", { value: String(y), selected: y === year }, String(y))));
  screen(t("statement.title"),
    h("div", { class: "no-print" }, h("p", {}, t("statement.explain")), field(t("statement.year"), years),
      h("div", { class: "actions" }, button(t("statement.print"), () => window.print(), "primary"))),
    h("section", { class: "statement", "aria-labelledby": "statement-h" },
      h("h2", { id: "statement-h" }, t("statement.heading", { naam: state.subject === state.me.member ? (state.me.name || x.profile.display_name || "") : (state.subjectName || ""), jaar: year })),
      h("p", {}, t("statement.who", { lid: state.subject, tijdbank: c ? c.name : state.me.community })),
      rows.length
        ? h("table", { class: "hours", id: "statement" },
            h("thead", {}, h("tr", {}, ["date", "for", "what", "time"].map((k) => h("th", { scope: "col" }, t("statement.col_" + k))))),
            h("tbody", {}, rows),
            h("tfoot", {}, h("tr", {}, h("th", { scope: "row", colspan: "3" }, t("statement.total")),
              h("td", { class: "number", id: "statement-total" }, duration(total)))))
        : h("p", {}, t("statement.none")),
      proved,
      h("div", { class: "certificate" }, await qrFor(location.origin + certificate),
        h("p", {}, t("statement.qr")),
        h("p", { class: "link-text" }, location.origin + certificate)),
      h("p", { class: "no-print" }, h("a", { href: certificate, download: `uurwerk-certificaat-${year}.json`, class: "button" },
        t("statement.download")))));
}

function endorseForm(claim) {
  const c = (state.overview ? state.overview.to_endorse : []).find((x) => x.claim === claim);
  if (!c) { location.hash = "#home"; return; }
  const other = nameOr(c.other_name, c.other);
  const { area: text, count } = textArea("endorsement", TEXT_MAX);
  const submitButton = h("button", { type: "submit", class: "big primary" }, t("endorse.submit"));
  screen(t("endorse.title", { naam: other }), h("form", { novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    const words = text.value.trim();
    if ([...words].length > TEXT_MAX) { say(t("post.too_long", { max: TEXT_MAX }), "error"); text.focus(); return; }
    const ok = await act(submitButton, () => submit(state.me, "endorsement", { member: String(c.other), claim },
      words ? { text: words, textField: "textDigest", onBehalfOf: onBehalf() } : { onBehalfOf: onBehalf() }));
    if (ok) goWith(t("endorse.done", { naam: other }), "#home");
  } }, h("p", {}, t("endorse.explain", { naam: other })), field(t("endorse.text"), text), count, submitButton));
}

async function care() {
  const d = await read(`/v1/communities/${state.me.community}/members/${state.me.member}/delegations`);
  screen(t("care.title"),
    d.acts_for.length
      ? h("ul", { class: "cards", id: "care" }, d.acts_for.map((x) => h("li", { class: "card" },
          h("p", {}, nameOr(x.display_name, x.member)),
          button(t("care.act", { naam: nameOr(x.display_name, x.member) }), () => {
            setSubject(String(x.member), x.display_name); location.hash = "#home"; route(); }, "primary"))))
      : h("p", {}, t("care.none")),
    d.acted_for_by.length
      ? h("section", {}, h("h2", {}, t("care.by")),
          h("ul", { class: "plain" }, d.acted_for_by.map((x) => h("li", {}, nameOr(x.display_name, x.member)))))
      : null);
}


// The link as a QR code, drawn as SVG elements (no markup parsed, no image from elsewhere).
async function qrFor(text) {
  const { qrcode } = await import("/js/vendor/qrcode.mjs");
  const q = qrcode(0, "M");
  q.addData(text);
  q.make();
  const n = q.getModuleCount();
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `-4 -4 ${n + 8} ${n + 8}`);
  svg.setAttribute("class", "qr");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", t("invite.qr"));
  const bg = document.createElementNS(ns, "rect");
  for (const [k, v] of [["x", -4], ["y", -4], ["width", n + 8], ["height", n + 8], ["fill", "#fff"]]) bg.setAttribute(k, v);
  svg.append(bg);
  let d = "";
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) if (q.isDark(r, c)) d += `M${c} ${r}h1v1h-1z`;
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", d);
  path.setAttribute("fill", "#000");
  svg.append(path);
  return svg;
}

// Makes an invitation (api/README.md, "Invitations") and shows its link and QR code.
async function makeInvitation(purpose, member, { role = "member", verified = false, days = 7 } = {}) {
  const code = randomBytes(16);
  const payload = { purpose, member: String(member), role, verified,
                    // The code itself travels only in the link.
                    codeDigest: await taggedDigest("uurwerk/invitation/v1", code),
                    untilMs: String(Date.now() + days * 86400000) };
  const answer = await submit(state.me, "invitationIssued", payload);
  const link = `${location.origin}/#join/${state.me.community}/${answer.id}/${toHex(code)}`;
  return { link, qr: await qrFor(link), until: Number(payload.untilMs) };
}

function showInvitation(title, lead, inv) {
  // A screen of its own address, so that the menu's link makes the next invitation.
  history.replaceState(null, "", location.hash.split("/")[0] + "/klaar");
  screen(title,
    h("p", { class: "lead" }, lead),
    inv.qr,
    h("p", {}, t("invite.link")),
    h("p", { class: "link-text", id: "invite-link" }, inv.link),
    h("button", { type: "button", onclick: async (ev) => {
      try { await navigator.clipboard.writeText(inv.link); say(t("invite.copied"), "ok"); }
      catch { say(t("invite.copy_failed"), "error"); }
    } }, t("invite.copy")),
    h("p", {}, t("join.expires", { datum: new Date(inv.until).toLocaleString(language(), { dateStyle: "long", timeStyle: "short" }) })));
}

// A coordinator invites a newcomer, or gives a member who lost every device new keys.
async function inviteScreen() {
  const o = state.overview || (await read(base() + "/overview"));
  if (o.role !== "coordinator" || state.subject !== state.me.member) {
    screen(t("invite.title"), h("p", {}, t("invite.only_coordinators")));
    return;
  }
  const list = await read(`/v1/communities/${state.me.community}/invitations`);
  const member = h("input", { id: "member", inputmode: "numeric", value: String(list.next_member) });
  const verified = h("input", { id: "verified", type: "checkbox", checked: true });
  const replace = h("input", { id: "replace", type: "checkbox" });
  const submitButton = h("button", { type: "submit", class: "big primary" }, t("invite.make"));
  screen(t("invite.title"),
    h("p", {}, t("invite.explain")),
    h("form", { novalidate: true, onsubmit: async (ev) => {
      ev.preventDefault();
      const m = member.value.trim();
      if (!/^[1-9][0-9]{0,18}$/.test(m)) { say(t("invite.bad_member"), "error"); member.focus(); return; }
      let inv;
      const ok = await act(submitButton, async () => {
        inv = await makeInvitation(replace.checked ? "replaceKeys" : "join", m, { verified: verified.checked });
      });
      if (ok) showInvitation(t("invite.title"), t(replace.checked ? "invite.ready_replace" : "invite.ready", { lid: m }), inv);
    } },
      field(t("invite.member"), member, t("invite.member_hint")),
      h("label", { class: "choice" }, verified, " ", t("invite.verified")),
      h("label", { class: "choice" }, replace, " ", t("invite.replace")),
      submitButton));
}

// A member links another device of theirs (a phone beside a laptop).
async function deviceScreen() {
  const submitButton = h("button", { type: "button", class: "big primary", onclick: async () => {
    let inv;
    const ok = await act(submitButton, async () => { inv = await makeInvitation("addDevice", state.me.member, { days: 1 }); });
    if (ok) showInvitation(t("device.title"), t("device.ready"), inv);
  } }, t("device.make"));
  screen(t("device.title"), h("p", {}, t("device.explain")), submitButton);
}

// The coordinators' console (js/console.js), in the coordinator's own name.
async function coordinatorConsole(parts) {
  if (state.subject !== state.me.member) {
    screen(t("console.title"), h("p", {}, t("console.own_name")));
    return;
  }
  // Loaded when first opened: members never load the console.
  const { consoleRoute } = await import("./console.js");
  return consoleRoute(consoleHelpers, parts);
}

// A community's public impact page (js/impact.js), for anyone: loaded when first opened.
async function impactPage(community) {
  const { impactRoute } = await import("./impact.js");
  return impactRoute({ screen, explain }, community);
}

// Founds community `c` with this device's key (allowed as a founder by the node's operator),
// with the CLI's default policy and one fairness rule more: a helper who had no match for a week
// goes first (matchSilenceHours 168, which kept 1.5 to 2.4 times the helpers of the layer off in
// the simulated towns where any layer could: matching/FAIRNESS.md; the rules page changes it;
// `uurwerk found` founds with the same value, ledger/core/fairness_knobs.h),
// and takes the founder's identity there into use.
async function foundCommunity(c, name) {
  const founder = { ...state.me, id: `${c}/1/${state.me.publicKey}`, community: String(c), member: "1",
                    name: state.me.name, added_at: Date.now() };
  await submit(founder, "communityFounded", { name, policy: {
    creditLimitMinutes: "600", balanceMaxMinutes: "6000", claimMinutesMax: "1440", matchSilenceHours: 168 } });
  await saveIdentity(founder);
  await useIdentity(founder);
  state.overview = null;
  state.isCoordinator = true;
}

const consoleHelpers = {
  state, say, act, screen, read, button, textArea, balanceText, makeInvitation, showInvitation,
  goWith, profileDocument, foundCommunity,
  isCoordinator: async () => {
    const o = await read(`/v1/communities/${state.me.community}/members/${state.me.member}/overview`);
    state.isCoordinator = o.role === "coordinator";
    return state.isCoordinator;
  },
};

// ---------------------------------------------------------------------------------------------
// The router.

// One screen drawn at a time, in the order asked. A screen still loading its data when another
// is asked for (the language switched, then a link followed at once) was drawn over the newer
// one when its data came; now each waits for the one before and draws the screen of the hash as
// it is when its turn comes. Nothing awaits route() from inside a screen, so nothing waits on
// itself.
let drawing = Promise.resolve();
function route(how = "navigation") {
  const turn = drawing.then(() => draw(how));
  drawing = turn.catch(() => undefined);
  return turn;
}

async function draw(how) {
  const parts = location.hash.replace(/^#/, "").split("/");
  if (how === "navigation") {
    if (!saidSinceNavigation) say("");
    saidSinceNavigation = false;
  }
  try {
    if (parts[0] === "join" && parts.length === 4) return await join(parts[1], parts[2], parts[3]);
    if (parts[0] === "impact") return await impactPage(parts[1]);
    if (!state.me) return await welcome();
    switch (parts[0]) {
      case "post": return postForm(parts[1] === "request" ? "request" : "offer");
      case "claim": return claimForm(parts[1]);
      case "dispute": return disputeForm(parts[1]);
      case "endorse": return endorseForm(parts[1]);
      case "profile": return await profile();
      case "history": return await historyScreen();
      case "statement": return await statementScreen(parts[1]);
      case "care": return await care();
      case "invite": return await inviteScreen();
      case "device": return await deviceScreen();
      case "console": return await coordinatorConsole(parts);
      default: return await home();
    }
  } catch (e) {
    say(explain(e), "error");
  }
}

// Why a key on this device cannot sign in: revoked (the member got new keys, or a coordinator
// revoked this device), or anything else the node said.
async function whyNotSignedIn(identity, e) {
  if (e.code !== "unauthenticated") return explain(e);
  try {
    const k = await api("GET", `/v1/communities/${identity.community}/keys/${identity.publicKey}`);
    if (k.revoked) return t("device.revoked");
  } catch { /* unknown here: say what the node said */ }
  return explain(e);
}

async function start() {
  loadLanguage();
  if (!(await ed25519Supported())) return unsupported();
  const known = await identities();
  let chosen = null;
  try { chosen = localStorage.getItem("uurwerk.identity"); } catch { }
  const identity = known.find((i) => i.id === chosen) || (known.length === 1 ? known[0] : null);
  if (identity && !location.hash.startsWith("#join/")) {
    try {
      await useIdentity(identity);
    } catch (e) {
      state.me = null;
      sayOnNext(await whyNotSignedIn(identity, e), "error");
    }
  }
  window.addEventListener("hashchange", () => route());
  await route();
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => undefined);
}

start();
