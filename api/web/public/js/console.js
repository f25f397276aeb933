// The coordinators' console (issue 25): the member list and each member's page (verify, suspend,
// reinstate, new keys, a proxy), members with no device of their own, moderation (hide a post,
// reverse a claim or a transfer, each with its reason), the community's policy, the open requests
// that wait longest, and founding a new community. Every change is an event the coordinator's own
// key signs here, as everywhere in the app; the node's rules decide (a plain member who reaches
// these screens gets the rules' refusal, and the reads are refused before that).
//
// The screens use the app's helpers, handed in as `ui` (js/app.js): this module holds no state.
import { h, field, replace } from "./dom.js";
import { t, duration, when, language, addTexts } from "./i18n.js";
import { submit } from "./ledger.js";
import nl from "../i18n/console.nl.js";
import en from "../i18n/console.en.js";

addTexts({ nl, en });

const TEXT_MAX = 600;

// "1.250" in Dutch, "1,250" in English.
const countText = (n) => Number(n).toLocaleString(language());

// What a proxy may do for a member with no device: everything a member does, but keys and
// delegations (the rules allow only these kinds to be delegated).
const PROXY_KINDS = ["offerPosted", "requestPosted", "postWithdrawn", "matchAccepted",
                     "matchDeclined", "matchEnded", "hoursClaimed", "hoursConfirmed",
                     "hoursDisputed", "transfer", "endorsement", "profileUpdated"];

// The policy's knobs (schemas/event.capnp, Policy): the JSON name the community route answers,
// the event's field, the range the rules accept, and the unit the page asks in.
// The minute knobs are asked in hours, in whole-hour ranges within the rules' bounds
// (ledger/core/limits.h: a claim at most a week).
const MINUTE_KNOBS = [
  ["credit_limit_minutes", "creditLimitMinutes", 0, 10000 * 60],
  ["balance_max_minutes", "balanceMaxMinutes", 60, 100000 * 60],
  ["claim_minutes_max", "claimMinutesMax", 60, 168 * 60],
];
const FAIRNESS_KNOBS = [
  ["proposals_per_request", "proposalsPerRequest", 1, 20],
  ["open_matches_max", "openMatchesMax", 1, 100],
  ["newcomer_floor_hours", "newcomerFloorHours", 1, 8760],
  ["quality_floor_permille", "qualityFloorPermille", 1, 1000],
  ["reputation_weight_max_permille", "reputationWeightMaxPermille", 1, 1000],
  ["low_reputation_proposals_min", "lowReputationProposalsMin", 1, 20],
  ["reputation_half_life_days", "reputationHalfLifeDays", 1, 3650],
  ["request_wait_hours_max", "requestWaitHoursMax", 1, 8760],
  ["silence_floor_hours", "silenceFloorHours", 1, 8760],
  ["silent_proposals_max", "silentProposalsMax", 1, 20],
  ["unmatched_first_proposals", "unmatchedFirstProposals", 1, 20],
  ["match_silence_hours", "matchSilenceHours", 0, 8760],  // 0: no such rule
  ["contact_window_days", "contactWindowDays", 1, 365],
  ["retention_days", "retentionDays", 1, 3650],
];

const community = (ui) => ui.state.me.community;
const path = (ui, rest) => `/v1/communities/${community(ui)}${rest}`;
const send = (ui, kind, payload, extra = {}) => submit(ui.state.me, kind, payload, extra);
const date = (ms) => new Date(Number(ms)).toLocaleDateString(language(), { day: "numeric", month: "long", year: "numeric" });

// A reason field and the button that sends it: `fn(words)` with the trimmed text ("" for none).
function withReason(ui, id, label, buttonText, fn) {
  const { area, count } = ui.textArea(id, TEXT_MAX);
  const go = h("button", { type: "submit" }, buttonText);
  return h("form", { class: "reason", novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    const words = area.value.trim();
    if ([...words].length > TEXT_MAX) { ui.say(t("post.too_long", { max: TEXT_MAX }), "error"); area.focus(); return; }
    await fn(go, words);
  } }, field(label, area), count, go);
}

const reasonText = (words, field) => (words ? { text: words, textField: field } : {});

// ---------------------------------------------------------------------------------------------

async function overviewScreen(ui) {
  const c = await ui.read(path(ui, ""));
  ui.screen(t("console.title"),
    h("p", { class: "lead" }, t("console.lead", { naam: c.name, leden: countText(c.members) })),
    h("ul", { class: "cards", id: "console-menu" }, [
      ["#console/members", "console.members", "console.members_text"],
      ["#console/admit", "console.admit", "console.admit_text"],
      ["#invite", "nav.invite", "console.invite_text"],
      ["#console/posts", "console.posts", "console.posts_text"],
      ["#console/reports", "console.reports", "console.reports_text"],
      ["#console/policy", "console.policy", "console.policy_text"],
      ["#console/found", "console.found", "console.found_text"],
    ].map(([href, title, text]) => h("li", { class: "card" },
      h("h2", {}, h("a", { href }, t(title))), h("p", {}, t(text))))));
}

function memberName(m) {
  return m.display_name || t("member.unknown", { lid: m.member });
}

// "Mevrouw de Vries (nr. 2)", or "lid 2" for a member without a name.
function memberTitle(m) {
  if (m.display_name) return `${m.display_name} (${t("console.number", { lid: m.member })})`;
  const name = memberName(m);
  return name.charAt(0).toUpperCase() + name.slice(1);
}

function standing(m) {
  const parts = [t(m.role === "coordinator" ? "console.role_coordinator" : "console.role_member")];
  parts.push(t(m.verified ? "console.verified" : "console.not_verified"));
  if (m.former_member) parts.push(t("console.left"));
  else if (m.suspended) parts.push(t("console.suspended"));
  if (m.keys === 0 && !m.former_member) parts.push(t("console.no_device"));
  return parts.join(" · ");
}

// The whole roster, page by page: the node answers at most 1,000 members a read, and says from
// which member the next page starts ("next").
async function roster(ui) {
  const members = [];
  let after = "";
  for (let pages = 0; pages < 10000; pages++) {
    const r = await ui.read(path(ui, "/roster?limit=1000" + (after ? `&after=${after}` : "")));
    members.push(...r.members);
    if (!r.next) break;
    after = r.next;
  }
  return { members };
}

// Cards drawn 200 at a time: a town of thousands stays quick on an old tablet.
const CARDS_AT_ONCE = 200;

// Who is looked for: a member whose name holds the words (any case), or whose number they are;
// everyone for no words. The words are read once a search, not once a member.
function finder(words) {
  const q = words.trim().toLocaleLowerCase(language());
  if (!q) return () => true;
  return (m) => m.member === q || (m.display_name || "").toLocaleLowerCase(language()).includes(q);
}

async function membersScreen(ui) {
  const r = await roster(ui);
  const byId = new Map(r.members.map((m) => [m.member, m]));
  const names = (ids) => ids.map((id) => (byId.has(id) ? memberName(byId.get(id)) : id)).join(", ");
  const card = (m) => h("li", { class: "card member" },
    h("h2", {}, h("a", { href: `#console/member/${m.member}` }, memberTitle(m))),
    h("p", {}, standing(m)),
    h("p", {}, ui.balanceText(m.balance_minutes), " · ", t("console.last_active", { datum: date(m.last_active_ms) })),
    m.acts_for.length ? h("p", {}, t("console.acts_for", { namen: names(m.acts_for) })) : null,
    m.acted_for_by.length ? h("p", {}, t("console.acted_for_by", { namen: names(m.acted_for_by) })) : null);
  // The members shown: those the search finds (all of them without one), drawn 200 at a time.
  let shownOf = r.members;
  let shown = 0;
  const list = h("ul", { class: "cards", id: "roster" });
  const counted = h("p", { id: "roster-count", "aria-live": "polite" });
  const moreText = () => t("console.members_more", { n: countText(Math.min(CARDS_AT_ONCE, shownOf.length - shown)) });
  const more = ui.button("", () => {
    const from = shown;
    drawMore();
    list.children[from].querySelector("a").focus();
  });
  more.id = "roster-more";
  function drawMore() {
    const next = shownOf.slice(shown, shown + CARDS_AT_ONCE);
    list.append(...next.map(card));
    shown += next.length;
    more.textContent = moreText();
    more.hidden = shown >= shownOf.length;
  }
  const search = h("input", { id: "member-search", type: "search", autocomplete: "off" });
  function draw() {
    shownOf = r.members.filter(finder(search.value));
    shown = 0;
    list.replaceChildren();
    drawMore();
    counted.textContent = search.value.trim()
      ? t("console.members_found", { n: countText(shownOf.length), van: countText(r.members.length) })
      : t("console.members_count", { n: countText(r.members.length) });
  }
  search.addEventListener("input", draw);
  draw();
  ui.screen(t("console.members"),
    h("form", { role: "search", novalidate: true, onsubmit: (ev) => ev.preventDefault() },
      field(t("console.members_search"), search, t("console.members_search_hint"))),
    counted,
    list,
    more);
}

async function memberScreen(ui, member) {
  if (!/^[1-9][0-9]{0,18}$/.test(member || "")) { location.hash = "#console/members"; return; }
  const [r, contact, x] = await Promise.all([
    roster(ui),
    ui.read(path(ui, `/members/${member}/contact`)).catch(() => null),
    ui.read(path(ui, `/members/${member}/export`)),
  ]);
  const m = r.members.find((y) => y.member === member);
  if (!m) { location.hash = "#console/members"; return; }
  const byId = new Map(r.members.map((y) => [y.member, y]));
  const nameOf = (id) => (id === "0" ? t("console.fund") : byId.has(id) ? memberName(byId.get(id)) : t("member.unknown", { lid: id }));
  // The page drawn again, then what was done said on it.
  const again = async (text) => { await memberScreen(ui, member); ui.say(text, "ok"); };
  const actions = [];
  if (!m.former_member) {
    if (!m.verified)
      actions.push(ui.button(t("console.verify"), (ev) => ui.act(ev.currentTarget, async () => {
        await send(ui, "memberVerified", { member });
        await again(t("console.verified_done", { naam: memberName(m) }));
      }), "primary"));
    if (m.suspended)
      actions.push(ui.button(t("console.reinstate"), (ev) => ui.act(ev.currentTarget, async () => {
        await send(ui, "memberReinstated", { member });
        await again(t("console.reinstated_done", { naam: memberName(m) }));
      })));
    actions.push(ui.button(t("console.new_keys"), (ev) => ui.act(ev.currentTarget, async () => {
      const inv = await ui.makeInvitation("replaceKeys", member);
      ui.showInvitation(t("console.new_keys"), t("invite.ready_replace", { lid: member }), inv);
    })));
  }
  const suspend = !m.former_member && !m.suspended
    ? withReason(ui, "suspend-reason", t("console.suspend_reason"), t("console.suspend"), async (go, words) => {
        if (await ui.act(go, () => send(ui, "memberSuspended", { member }, reasonText(words, "reasonDigest"))))
          await again(t("console.suspended_done", { naam: memberName(m) }));
      })
    : null;
  // A proxy: someone who acts for this member (the member need not have a device).
  const proxy = h("input", { id: "proxy", inputmode: "numeric" });
  const proxyForm = !m.former_member
    ? h("form", { novalidate: true, onsubmit: async (ev) => {
        ev.preventDefault();
        const d = proxy.value.trim();
        if (!/^[1-9][0-9]{0,18}$/.test(d) || !byId.has(d) || d === member) {
          ui.say(t("console.proxy_bad"), "error"); proxy.focus(); return;
        }
        const ok = await ui.act(ev.submitter, () => send(ui, "delegationGranted",
          { delegate: d, kinds: PROXY_KINDS, untilMs: "0", grantor: member }));
        if (ok) await again(t("console.proxy_done", { naam: nameOf(d), voor: memberName(m) }));
      } },
        field(t("console.proxy_member"), proxy, t("console.proxy_hint")),
        h("button", { type: "submit" }, t("console.proxy_make")))
    : null;
  const proxies = m.acted_for_by.map((d) => h("li", {}, t("console.proxy_line", { naam: nameOf(d) }), " ",
    ui.button(t("console.proxy_end"), (ev) => ui.act(ev.currentTarget, async () => {
      await send(ui, "delegationRevoked", { delegate: d, grantor: member });
      await again(t("saved"));
    }), "link")));
  // Confirmed claims and transfers, each with its reversal beside it.
  const money = [];
  for (const c of x.claims || []) {
    if (c.status !== "confirmed" && c.status !== "reversed") continue;
    money.push(exchangeLine(ui, c.id, t("console.claim_line", {
      tijd: duration(c.minutes), van: nameOf(c.receiver), aan: nameOf(c.claimant), datum: date(c.confirmed_at_ms) }),
      { reversed: c.status === "reversed", reason: c.reversal_reason }, () => again(t("console.reversed_done"))));
  }
  for (const tr of x.transfers || []) {
    money.push(exchangeLine(ui, tr.id, t("console.transfer_line", {
      tijd: duration(tr.minutes), van: nameOf(tr.from), aan: nameOf(tr.to) }),
      { reversed: tr.reversed, reason: null }, () => again(t("console.reversed_done"))));
  }
  // Their open posts, each hidden with a reason.
  const posts = (x.posts || []).filter((p) => p.status === "open").map((p) => h("li", { class: "card" },
    h("p", {}, t(p.type === "offer" ? "home.offer_line" : "home.request_line",
                 { wat: t("category." + p.category), hoe: t("intensity." + p.how_often) })),
    p.text ? h("p", { class: "note" }, p.text) : null,
    withReason(ui, "hide-" + p.id, t("console.hide_reason"), t("console.hide"), async (go, words) => {
      if (await ui.act(go, () => send(ui, "postHidden", { post: p.id }, reasonText(words, "reasonDigest"))))
        await again(t("console.hidden_done"));
    })));
  ui.screen(memberTitle(m),
    h("p", { class: "lead", id: "standing" }, standing(m)),
    h("p", {}, ui.balanceText(m.balance_minutes), " · ", t("console.last_active", { datum: date(m.last_active_ms) })),
    contact && contact.phone ? h("p", {}, t("home.contact", { telefoon: contact.phone })) : null,
    contact && contact.email ? h("p", {}, t("home.contact_email", { email: contact.email })) : null,
    actions.length ? h("div", { class: "actions" }, actions) : null,
    suspend ? h("section", {}, h("h2", {}, t("console.suspend")), h("p", {}, t("console.suspend_text")), suspend) : null,
    h("section", { "aria-labelledby": "proxy-h" }, h("h2", { id: "proxy-h" }, t("console.proxy_title")),
      h("p", {}, t("console.proxy_text")),
      proxies.length ? h("ul", { class: "plain", id: "proxies" }, proxies) : h("p", {}, t("console.proxy_none")),
      proxyForm),
    h("section", { "aria-labelledby": "money-h" }, h("h2", { id: "money-h" }, t("console.exchanges")),
      money.length ? h("ul", { class: "cards", id: "exchanges" }, money) : h("p", {}, t("console.no_exchanges"))),
    h("section", { "aria-labelledby": "posts-h" }, h("h2", { id: "posts-h" }, t("console.member_posts")),
      posts.length ? h("ul", { class: "cards", id: "member-posts" }, posts) : h("p", {}, t("console.no_posts"))));
}

// One confirmed claim or transfer: the original, and its reversal beside it (with the reason
// the coordinator gave), or a form to reverse it.
function exchangeLine(ui, id, text, reversal, after) {
  if (reversal.reversed) {
    return h("li", { class: "card reversed" }, h("p", {}, h("s", {}, text)),
      h("p", {}, t("console.reversed")),
      reversal.reason ? h("p", { class: "note" }, t("console.reversed_why", { reden: reversal.reason })) : null);
  }
  return h("li", { class: "card" }, h("p", {}, text),
    withReason(ui, "reverse-" + id, t("console.reverse_reason"), t("console.reverse"), async (go, words) => {
      if (await ui.act(go, () => send(ui, "reversal", { target: id }, reasonText(words, "reasonDigest")))) await after();
    }));
}

// A member with no device of their own: admitted by the coordinator, with a profile the
// coordinator writes with them, and (optionally) a proxy at once.
async function admitScreen(ui) {
  const list = await ui.read(path(ui, "/invitations"));
  const member = h("input", { id: "member", inputmode: "numeric", value: String(list.next_member) });
  const name = h("input", { id: "name", autocomplete: "off", maxlength: "80" });
  const phone = h("input", { id: "phone", type: "tel", autocomplete: "off", maxlength: "32" });
  const verified = h("input", { id: "verified", type: "checkbox", checked: true });
  const proxy = h("input", { id: "proxy", inputmode: "numeric" });
  const go = h("button", { type: "submit", class: "big primary" }, t("console.admit_make"));
  ui.screen(t("console.admit"),
    h("p", {}, t("console.admit_explain")),
    h("form", { novalidate: true, onsubmit: async (ev) => {
      ev.preventDefault();
      const m = member.value.trim();
      const d = proxy.value.trim();
      if (!/^[1-9][0-9]{0,18}$/.test(m)) { ui.say(t("invite.bad_member"), "error"); member.focus(); return; }
      if (!name.value.trim()) { ui.say(t("profile.name_needed"), "error"); name.focus(); return; }
      if (d && (!/^[1-9][0-9]{0,18}$/.test(d) || d === m)) { ui.say(t("console.proxy_bad"), "error"); proxy.focus(); return; }
      const ok = await ui.act(go, async () => {
        await send(ui, "memberAdmitted", { member: m, role: "member", verified: verified.checked },
          { text: ui.profileDocument({ name: name.value.trim(), phone: phone.value.trim() }), textField: "profileDigest" });
        if (d) await send(ui, "delegationGranted", { delegate: d, kinds: PROXY_KINDS, untilMs: "0", grantor: m });
      });
      if (ok) ui.goWith(t("console.admitted", { naam: name.value.trim(), lid: m }), `#console/member/${m}`);
    } },
      field(t("invite.member"), member, t("invite.member_hint")),
      field(t("profile.name"), name), field(t("profile.phone"), phone),
      h("label", { class: "choice" }, verified, " ", t("invite.verified")),
      field(t("console.proxy_member"), proxy, t("console.admit_proxy_hint")),
      go));
}

// Open requests (the longest waiting first) and offers, each hidden with a reason; and the
// offers that were never proposed, so a coordinator can match by hand.
async function postsScreen(ui) {
  const [requests, offers, r] = await Promise.all([
    ui.read(path(ui, "/requests?limit=200")),
    ui.read(path(ui, "/offers?limit=200")),
    roster(ui),
  ]);
  const byId = new Map(r.members.map((y) => [y.member, y]));
  const nameOf = (id) => (byId.has(id) ? memberName(byId.get(id)) : t("member.unknown", { lid: id }));
  const card = (p, type) => h("li", { class: "card" },
    h("p", {}, t(type === "offer" ? "console.offer_of" : "console.request_of",
                 { naam: nameOf(p.owner), wat: t("category." + p.category), hoe: t("intensity." + p.intensity) })),
    h("p", { class: "when" }, when(p.availability), " · ", p.area),
    p.posted_at_ms ? h("p", {}, t(type === "offer" ? "console.offered_since" : "console.waiting_since",
                                  { datum: date(p.posted_at_ms) })) : null,
    p.text ? h("p", { class: "note" }, p.text) : null,
    withReason(ui, "hide-" + p.id, t("console.hide_reason"), t("console.hide"), async (go, words) => {
      if (await ui.act(go, () => send(ui, "postHidden", { post: p.id }, reasonText(words, "reasonDigest")))) {
        await postsScreen(ui);
        ui.say(t("console.hidden_done"), "ok");
      }
    }));
  // Offers never proposed, so a coordinator can match them by hand; then the others.
  const never = offers.posts.filter((p) => Number(p.proposals) === 0);
  const heard = offers.posts.filter((p) => Number(p.proposals) !== 0);
  ui.screen(t("console.posts"),
    h("section", { "aria-labelledby": "req-h" }, h("h2", { id: "req-h" }, t("console.requests_waiting")),
      requests.posts.length ? h("ul", { class: "cards", id: "open-requests" }, requests.posts.map((p) => card(p, "request")))
        : h("p", {}, t("console.none"))),
    h("section", { "aria-labelledby": "never-h" }, h("h2", { id: "never-h" }, t("console.offers_never")),
      h("p", {}, t("console.offers_never_text")),
      never.length ? h("ul", { class: "cards", id: "never-proposed" }, never.map((p) => card(p, "offer")))
        : h("p", {}, t("console.none"))),
    h("section", { "aria-labelledby": "off-h" }, h("h2", { id: "off-h" }, t("console.offers_open")),
      heard.length ? h("ul", { class: "cards", id: "open-offers" }, heard.map((p) => card(p, "offer")))
        : h("p", {}, t("console.none"))));
}

// The community's policy: every knob in plain words with its range, changed by one signed event.
async function policyScreen(ui) {
  const c = await ui.read(path(ui, ""));
  const p = c.policy;
  const inputs = new Map();
  const row = ([json, , lo, hi], inHours) => {
    const input = h("input", { id: json, type: "number", inputmode: "numeric", step: inHours ? "0.25" : "1",
      min: String(inHours ? lo / 60 : lo), max: String(inHours ? hi / 60 : hi),
      value: String(inHours ? Number(p[json]) / 60 : Number(p[json])) });
    inputs.set(json, input);
    return field(t("policy." + json), input,
      t("policy." + json + "_text") + " " + t(inHours ? "policy.range_hours" : "policy.range",
        { van: inHours ? lo / 60 : lo, tot: inHours ? hi / 60 : hi }));
  };
  const fairness = h("input", { id: "fairness", type: "checkbox", checked: p.fairness !== "off" });
  const open = h("input", { id: "public_impact", type: "checkbox", checked: p.public_impact === true });
  const pageLink = `${location.origin}/#impact/${community(ui)}`;
  const go = h("button", { type: "submit", class: "big primary" }, t("policy.save"));
  ui.screen(t("console.policy"),
    h("p", {}, t("policy.explain")),
    h("form", { novalidate: true, onsubmit: async (ev) => {
      ev.preventDefault();
      const policy = { fairnessOff: !fairness.checked, publicImpact: open.checked };
      for (const [knobs, inHours] of [[MINUTE_KNOBS, true], [FAIRNESS_KNOBS, false]]) {
        for (const [json, name, lo, hi] of knobs) {
          const input = inputs.get(json);
          const v = inHours ? Math.round(Number(input.value) * 60) : Number(input.value);
          if (input.value.trim() === "" || !Number.isInteger(v) || v < lo || v > hi) {
            ui.say(t("policy.out_of_range", { wat: t("policy." + json) }), "error");
            input.focus();
            return;
          }
          policy[name] = inHours ? String(v) : v;
        }
      }
      if (await ui.act(go, () => send(ui, "policyChanged", { policy }))) {
        await policyScreen(ui);
        ui.say(t("policy.saved"), "ok");
      }
    } },
      h("fieldset", {}, h("legend", {}, t("policy.currency")), MINUTE_KNOBS.map((k) => row(k, true))),
      h("fieldset", {}, h("legend", {}, t("policy.fairness")),
        h("label", { class: "choice" }, fairness, " ", t("policy.fairness_on")),
        h("p", { class: "hint" }, t("policy.fairness_text")),
        FAIRNESS_KNOBS.map((k) => row(k, false))),
      h("fieldset", {}, h("legend", {}, t("policy.public")),
        h("label", { class: "choice" }, open, " ", t("policy.public_impact")),
        h("p", { class: "hint" }, t("policy.public_impact_text")),
        h("p", { class: "link-text" }, h("a", { href: pageLink, id: "impact-link" }, pageLink))),
      go));
}

// A new community, founded with this device's key (which the node's operator must allow as a
// founder first: `uurwerk allow-founder`); this device then holds the founder's identity in it.
async function foundScreen(ui) {
  const number = h("input", { id: "community", inputmode: "numeric" });
  const name = h("input", { id: "community-name", maxlength: "80" });
  const go = h("button", { type: "submit", class: "big primary" }, t("found.make"));
  ui.screen(t("console.found"),
    h("p", {}, t("found.explain")),
    h("p", {}, t("found.key")),
    h("p", { class: "link-text", id: "founder-key" }, ui.state.me.publicKey),
    h("form", { novalidate: true, onsubmit: async (ev) => {
      ev.preventDefault();
      const c = number.value.trim();
      const words = name.value.trim();
      if (!/^[1-9][0-9]{0,18}$/.test(c)) { ui.say(t("found.bad_number"), "error"); number.focus(); return; }
      if (!words || [...words].length > 80) { ui.say(t("found.bad_name"), "error"); name.focus(); return; }
      const ok = await ui.act(go, () => ui.foundCommunity(c, words));
      if (ok) ui.goWith(t("found.done", { naam: words }), "#console");
    } },
      field(t("found.number"), number, t("found.number_hint")),
      field(t("found.name"), name),
      go));
}

// Reports (api/README.md, "Reports"): at the latest signed checkpoint, for a range of dates, shown
// here and downloaded as CSV or JSON (the same bytes `uurwerk audit report` recomputes offline).
const REPORTS = ["hours", "transactions", "inactive", "unanswered", "unproposed", "impact"];
const SHOWN_ROWS_MAX = 200;

async function reportsScreen(ui) {
  const today = new Date();
  const iso = (d) => d.toISOString().slice(0, 10);
  const which = h("select", { id: "report" }, REPORTS.map((r) => h("option", { value: r }, t("report." + r))));
  const from = h("input", { id: "from", type: "date", value: iso(new Date(Date.UTC(today.getUTCFullYear(), 0, 1))) });
  const to = h("input", { id: "to", type: "date", value: iso(today) });
  const days = h("input", { id: "days", type: "number", inputmode: "numeric", min: "1", max: "1830", value: "90" });
  const out = h("div", { id: "report-out", "aria-live": "polite" });
  const go = h("button", { type: "submit", class: "big primary" }, t("report.show"));
  const query = () => {
    // The dates are whole days in UTC: from the start of the first to the end of the last.
    const a = Date.parse(from.value + "T00:00:00Z"), b = Date.parse(to.value + "T00:00:00Z") + 86400000;
    if (!Number.isFinite(a) || !Number.isFinite(b) || b <= a) return null;
    let q = `from_ms=${a}&to_ms=${b}`;
    if (which.value === "inactive") q += `&days=${Number(days.value)}`;
    return q;
  };
  const show = async () => {
    const q = query();
    if (!q) { ui.say(t("report.bad_range"), "error"); from.focus(); return; }
    const url = path(ui, `/reports/${which.value}?${q}`);
    let r;
    const ok = await ui.act(go, async () => { r = await ui.read(url + "&format=json"); });
    if (!ok) return;
    const rows = r.rows.slice(0, SHOWN_ROWS_MAX);
    // On the page in words (times as dates, minutes as hours); the files stay as computed.
    const label = (c) => { const k = "report.col." + c; const s = t(k); return s === k ? c : s; };
    const cell = (c, v) => (c.endsWith("_ms") ? new Date(Number(v)).toLocaleString(language(), { dateStyle: "medium", timeStyle: "short" })
      : c.startsWith("minutes") || c === "minutes" ? duration(v)
      : c === "category" ? (v === "none" ? "" : t("category." + v)) : String(v));
    replace(out,
      h("p", {}, t("report.at_checkpoint", { n: r.checkpoint.tree_size, root: r.checkpoint.root.slice(0, 16) })),
      rows.length
        ? h("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": t("report." + which.value) },
            h("table", { class: "hours", id: "report-table" },
            h("caption", {}, t("report." + which.value)),
            h("thead", {}, h("tr", {}, r.columns.map((c) => h("th", { scope: "col" }, label(c))))),
            h("tbody", {}, rows.map((row) => h("tr", {}, row.map((v, i) => h("td", {}, cell(r.columns[i], v))))))))
        : h("p", {}, t("report.empty")),
      r.rows.length > rows.length ? h("p", {}, t("report.more", { n: rows.length, van: r.rows.length })) : null,
      h("div", { class: "actions" },
        h("a", { class: "button", href: url + "&format=csv", download: `uurwerk-${which.value}.csv` }, t("report.csv")),
        h("a", { class: "button", href: url + "&format=json", download: `uurwerk-${which.value}.json` }, t("report.json"))));
  };
  ui.screen(t("console.reports"),
    h("p", {}, t("report.explain")),
    h("form", { novalidate: true, onsubmit: (ev) => { ev.preventDefault(); show(); } },
      field(t("report.which"), which),
      h("div", { class: "row" }, field(t("report.from"), from), field(t("report.to"), to)),
      field(t("report.days"), days, t("report.days_hint")),
      go),
    out);
}

// The console's screens, by the address after #console/.
export async function consoleRoute(ui, parts) {
  if (ui.state.overview?.role !== "coordinator" && !(await ui.isCoordinator())) {
    ui.screen(t("console.title"), h("p", {}, t("console.only_coordinators")));
    return;
  }
  switch (parts[1]) {
    case "members": return membersScreen(ui);
    case "member": return memberScreen(ui, parts[2]);
    case "admit": return admitScreen(ui);
    case "posts": return postsScreen(ui);
    case "policy": return policyScreen(ui);
    case "reports": return reportsScreen(ui);
    case "found": return foundScreen(ui);
    default: return overviewScreen(ui);
  }
}
