// What the browser tests share: a real node (`uurwerk serve` on a free loopback port, its data
// in a temporary folder), the CLI for the coordinator's side, Debian's Chromium driven by
// Playwright (playwright-core from api/web's npm packages), one browser context per person (a
// device: its own IndexedDB, so its own keys), screenshots kept as test artefacts, and an axe-core
// scan of every screen. Each check counts; the run ends with "N passed, M failed".
import { spawn, execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const sourceDir = path.resolve(here, "../../..");
const webModules = createRequire(path.join(sourceDir, "api/web/package.json"));
const { chromium } = webModules("playwright-core");
const axeSource = readFileSync(webModules.resolve("axe-core/axe.min.js"), "utf8");

export const results = { passed: 0, failed: 0, failures: [] };

export function check(condition, what) {
  if (condition) {
    results.passed++;
  } else {
    results.failed++;
    results.failures.push(what);
    console.log("FAILED: " + what);
  }
  return condition;
}

// A node of our own: `uurwerk serve` on 127.0.0.1 with port 0, its address read from its first
// line. The matcher runs every second, so that a proposal follows a fitting post at once.
export async function startNode(binary) {
  const data = mkdtempSync(path.join(tmpdir(), "uurwerk-web-"));
  // With a relay that is not there (port 9 on loopback): members may choose how often they get
  // e-mail, which waits for a relay that never answers (nothing leaves the machine).
  const child = spawn(binary, ["serve", "--data", data, "--listen", "127.0.0.1:0",
                               "--match-interval", "1", "--smtp", "smtp://127.0.0.1:9",
                               "--mail-from", "tijdbank@example.org"], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stderr.on("data", (d) => { log += d; });
  // A test that fails half-way must not leave its node running.
  process.on("exit", () => child.kill("SIGKILL"));
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(1));
  process.on("unhandledRejection", (e) => { console.log("FAILED: " + (e && e.stack ? e.stack : e)); process.exit(1); });
  const url = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("uurwerk serve did not start: " + out + log)), 30000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on("exit", (code) => reject(new Error(`uurwerk serve exited ${code}: ${out}${log}`)));
  });
  const keys = mkdtempSync(path.join(tmpdir(), "uurwerk-web-keys-"));
  return {
    url, data, keys, child, binary,
    // The CLI against this node; its output. Throws with the output when it fails.
    cli(...args) {
      try {
        return execFileSync(binary, [...args, "--server", url], { encoding: "utf8", stdio: "pipe" });
      } catch (e) {
        throw new Error(`uurwerk ${args.join(" ")} failed: ${e.stdout}${e.stderr}`);
      }
    },
    local(...args) {
      return execFileSync(binary, args, { encoding: "utf8", stdio: "pipe" });
    },
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => child.on("exit", r));
      rmSync(data, { recursive: true, force: true });
      rmSync(keys, { recursive: true, force: true });
    },
  };
}

// A community with a coordinator whose key is a file (the CLI), its node key announced so that
// the node's matcher proposes there. Returns {community, coordKey}.
export function foundCommunity(node, community, name) {
  const coordKey = path.join(node.keys, `coord-${community}.key`);
  node.local("keygen", "--out", coordKey, "--community", String(community), "--member", "1");
  node.local("allow-founder", "--data", node.data, "--public-key-file", coordKey + ".pub");
  node.cli("found", "--key", coordKey, "--name", name, "--credit-limit", "600");
  node.cli("announce-node", "--key", coordKey);
  return { community, coordKey };
}

// An invitation link made by the coordinator with the CLI (`uurwerk invite`).
export function invite(node, coordKey, community, args) {
  const out = node.cli("invite", "--key", coordKey, "--community", String(community),
                       "--app-url", node.url, ...args);
  const m = out.match(/(http:\/\/\S+#join\/\S+)/);
  if (!m) throw new Error("no link in: " + out);
  return m[1];
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.UURWERK_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-dev-shm-usage"],
  });
}

// One person's device: a fresh context (its own storage, so its own keys), a phone-sized
// window, the language asked for. Screenshots go to ARTEFACTS/<story>/<n>-<name>.png; each shot
// also runs axe-core on the page and counts every serious or critical violation as a failure.
export async function device(browser, story, who, { lang = "nl", artefacts }) {
  const context = await browser.newContext({ viewport: { width: 412, height: 915 }, locale: lang === "nl" ? "nl-NL" : "en-GB" });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  const dir = path.join(artefacts, story);
  mkdirSync(dir, { recursive: true });
  let n = 0;
  return {
    page, context, errors,
    async shot(name) {
      await page.waitForTimeout(150);
      const file = path.join(dir, `${String(++n).padStart(2, "0")}-${who}-${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      await page.evaluate(axeSource);
      const report = await page.evaluate(() => window.axe.run(document, {
        runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
      }));
      const bad = report.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
      check(bad.length === 0, `${story}/${who}/${name}: axe found ${bad.map((v) => v.id + " (" + v.nodes.map((x) => x.target.join(" ")).join(", ") + ")").join("; ")}`);
    },
    async close() {
      check(errors.filter((e) => !/Failed to load resource: the server responded with a status of 4\d\d/.test(e)).length === 0,
            `${story}/${who}: errors in the page: ${errors.join(" | ")}`);
      await context.close();
    },
  };
}

// Waits until `text` is on the page (the live stream redraws it), at most `ms`.
export async function sees(d, text, what, ms = 10000) {
  try {
    await d.page.getByText(text, { exact: false }).first().waitFor({ state: "visible", timeout: ms });
    return check(true, what);
  } catch {
    return check(false, `${what}: "${text}" not seen within ${ms} ms; the page says: ` +
      (await d.page.locator("body").innerText()).slice(0, 600));
  }
}

export function finish() {
  console.log(`${results.passed} passed, ${results.failed} failed`);
  process.exit(results.failed === 0 && results.passed > 0 ? 0 : 1);
}
