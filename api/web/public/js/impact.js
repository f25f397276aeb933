// The public impact page of a community (api/README.md, "The public impact page"): what its
// members did together in the last twelve months, as NLvoorelkaar publishes it (matches made,
// hours given, active helpers, people helped), for anyone with the link, no sign-in. Shown only
// when the community's coordinators made it public (its signed policy); every figure is
// computed at a signed checkpoint, and the page says how an auditor recomputes it offline.
// Loaded only when the page is opened.
import { h } from "./dom.js";
import { t, duration, language } from "./i18n.js";
import { api } from "./ledger.js";

// "januari 2026" (long) or "jan 2026" (short): the UTC month the report counts.
const monthName = (ms, month = "long") =>
  new Date(Number(ms)).toLocaleDateString(language(), { month, year: "numeric", timeZone: "UTC" });
const count = (n) => Number(n).toLocaleString(language());
// Hours with at most one decimal, for the table's narrow column.
const hours = (minutes) =>
  (Math.max(0, Number(minutes)) / 60).toLocaleString(language(), { maximumFractionDigits: 1 });

// `ui`: the app's screen(), explain() and say() (js/app.js).
export async function impactRoute(ui, community) {
  if (!/^[1-9][0-9]{0,19}$/.test(community || "")) {
    ui.screen(t("impact.title_plain"), h("p", { role: "alert", class: "error" }, t("impact.bad_link")));
    return;
  }
  ui.screen(t("impact.title_plain"), h("p", {}, t("impact.loading")));
  let page;
  try {
    page = await api("GET", `/v1/communities/${community}/impact`);
  } catch (e) {
    const why = e.code === "impact_not_public" ? t("impact.not_public")
      : e.code === "no_checkpoint" ? t("impact.no_checkpoint")
      : e.code === "unknown_community" ? t("impact.unknown")
      : ui.explain(e);
    ui.screen(t("impact.title_plain"), h("p", { role: "alert", class: "error" }, why));
    return;
  }
  const total = page.total;
  const figure = (id, value, label) =>
    h("div", { class: "figure", id }, h("span", { class: "value" }, value), h("span", { class: "label" }, label));
  const hoursText = (minutes) => duration(Math.max(0, Number(minutes)));
  const rows = page.months.slice().reverse().map((m) => h("tr", {},
    h("th", { scope: "row" }, monthName(m.from_ms, "short")),
    h("td", { class: "number" }, count(m.matches_made)),
    h("td", { class: "number" }, hours(m.minutes_given)),
    h("td", { class: "number" }, count(m.active_helpers)),
    h("td", { class: "number" }, count(m.people_helped))));
  const check = `uurwerk audit report EXPORT impact --trust NODEKEY --from-ms ${total.from_ms} --to-ms ${total.to_ms}`;
  ui.screen(t("impact.title", { naam: page.name }),
    h("p", { class: "lead" }, t("impact.lead", {
      van: monthName(page.months[0].from_ms), tot: monthName(page.months[page.months.length - 1].from_ms) })),
    h("section", { class: "figures", "aria-label": t("impact.together") },
      figure("impact-matches", count(total.matches_made), t("impact.matches_made")),
      figure("impact-hours", hoursText(total.minutes_given), t("impact.minutes_given")),
      figure("impact-helpers", count(total.active_helpers), t("impact.active_helpers")),
      figure("impact-helped", count(total.people_helped), t("impact.people_helped"))),
    h("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": t("impact.per_month") },
      h("table", { class: "hours compact", id: "impact-months" },
      h("caption", {}, t("impact.per_month")),
      h("thead", {}, h("tr", {}, ["month", "matches", "hours", "helpers", "helped"].map((k) =>
        h("th", k === "month" ? { scope: "col" } : { scope: "col", class: "number" }, t("impact.col_" + k))))),
      h("tbody", {}, rows))),
    h("p", { class: "hint" }, t("impact.explain")),
    h("details", {}, h("summary", {}, t("impact.verify")),
      h("p", {}, t("impact.verify_text", { grootte: count(page.checkpoint.tree_size) })),
      h("p", { class: "link-text", id: "impact-root" }, page.checkpoint.root),
      h("p", {}, t("impact.verify_command")),
      h("p", { class: "link-text" }, check)));
}
