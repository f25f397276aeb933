// The app's languages: one file each under i18n/, with the same keys (and the console's texts in
// i18n/console.*.js, loaded with the console). Dutch by default; the choice is kept in this
// browser. A third language is a file of each there and a line here and in js/console.js.
import nl from "../i18n/nl.js";
import en from "../i18n/en.js";

export const languages = { nl, en };
let current = "nl";

// More texts, by language (a part of the app loaded later brings its own).
export function addTexts(byLanguage) {
  for (const [code, texts] of Object.entries(byLanguage))
    if (languages[code]) Object.assign(languages[code], texts);
}

export function setLanguage(code) {
  current = languages[code] ? code : "nl";
  try { localStorage.setItem("uurwerk.lang", current); } catch { /* private mode */ }
  document.documentElement.lang = current;
}

export function language() {
  return current;
}

export function loadLanguage() {
  let saved = null;
  try { saved = localStorage.getItem("uurwerk.lang"); } catch { /* private mode */ }
  setLanguage(saved || "nl");
}

// The text of `key` in the current language, {name}s filled from `vars` (as text, never HTML).
export function t(key, vars = {}) {
  const s = languages[current][key] ?? languages.nl[key] ?? key;
  return s.replace(/\{([a-z]+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

// "3 uur 30 min" from minutes (the absolute value; the caller says in credit or short).
export function duration(minutes) {
  const total = Math.abs(Number(minutes));
  const u = Math.floor(total / 60);
  const m = total % 60;
  if (u === 0 && m === 0) return t("time.zero");
  if (m === 0) return t("time.hours", { u });
  if (u === 0) return t("time.minutes", { m });
  return t("time.both", { u, m });
}

// "dinsdagmiddag, donderdagochtend" from the availability bits (bit 3*day+part).
export function when(bits) {
  if (!bits) return t("when.any");
  const slots = [];
  for (let day = 0; day < 7; day++)
    for (let part = 0; part < 3; part++)
      if (bits & (1 << (3 * day + part)))
        slots.push(t("when.slot", { dag: t("day." + day), deel: t("part." + part) }));
  return slots.length > 3 ? slots.slice(0, 3).join(", ") + " …" : slots.join(", ");
}
