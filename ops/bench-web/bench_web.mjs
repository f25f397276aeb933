// The web app's figures (issue 24), printed, never asserted (the machines are shared and
// noisy): run by ops/bench-web.sh against a node of its own on loopback.
//   1. The member home's first load: bytes transferred (goal <= 150 KB) and the time until the
//      home is drawn and answers input, median of RUNS loads with an empty cache.
//   2. Lighthouse (npm lighthouse 12, the system's Chromium) on the home and the post screen:
//      accessibility, performance, best practices (goals 95, 90, 95).
// A proposal's time from the matcher's event to the helper's open page with 1,000 open pages is
// `uurwerk bench streams --proposals` (a node in process, so the clocks are the same).
//
// Usage: node bench_web.mjs UURWERK_BINARY [--runs N]
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { foundCommunity, invite, sourceDir, startNode } from "../../tests/api/web/browser.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const [binary, ...rest] = process.argv.slice(2);
const runs = Number((rest[rest.indexOf("--runs") + 1]) || 5) || 5;
const { chromium } = createRequire(path.join(sourceDir, "api/web/package.json"))("playwright-core");
const lighthouse = path.join(here, "node_modules/.bin/lighthouse");
const chromiumPath = process.env.UURWERK_CHROMIUM || "/usr/bin/chromium";
const flags = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage"];

const node = await startNode(binary);
const { community, coordKey } = foundCommunity(node, 7, "Buurtkring Lombok");
const link = invite(node, coordKey, community, ["--member", "2", "--verified"]);
const profile = mkdtempSync(path.join(tmpdir(), "uurwerk-bench-web-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: chromiumPath, headless: true, viewport: { width: 412, height: 915 },
  args: flags,
});
const page = context.pages()[0] || (await context.newPage());

// A member joins and posts, so that the home has something on it.
const step = (what) => console.error(`bench web: ${what}`);
step(`node at ${node.url}; a member joins`);
await page.goto(link);
await page.getByRole("button", { name: "Doe mee" }).click();
await page.locator("#name").waitFor();
await page.fill("#name", "Ans de Wit");
await page.getByRole("button", { name: "Opslaan" }).click();
await page.getByText("Opgeslagen.").waitFor();
await page.goto(node.url + "/#post/offer");
await page.locator("#category").waitFor();
await page.fill("#area", "3512");
await page.fill("#text", "Ik help graag met de computer.");
await page.getByRole("button", { name: "Plaatsen" }).click();
await page.getByText("Uw oproep staat erop.").waitFor();

// 1. First loads with an empty cache and no service worker: every byte over the wire.
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
step("first loads");
const loads = [];
for (let i = 0; i < runs; i++) {
  const p = await context.newPage();
  const cdp = await context.newCDPSession(p);
  await cdp.send("Network.enable");
  await cdp.send("Network.clearBrowserCache");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  await cdp.send("Network.setBypassServiceWorker", { bypass: true });
  let bytes = 0, requests = 0;
  const byUrl = new Map();
  cdp.on("Network.responseReceived", (e) => byUrl.set(e.requestId, e.response.url));
  cdp.on("Network.loadingFinished", (e) => {
    bytes += e.encodedDataLength;
    requests++;
  });
  await p.goto(node.url + "/#home");
  await p.locator("#balance").waitFor();
  // Drawn and answering: the first frame after the balance is on the page.
  const interactive = await p.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(performance.now()))));
  await p.waitForTimeout(1500);  // what follows the drawing (the service worker's own copy)
  loads.push({ bytes, requests, interactive });
  await p.close();
}
console.log(`first load of the member home (${runs} loads, empty cache, service worker bypassed):`);
console.log(`  bytes transferred: median ${median(loads.map((l) => l.bytes))} (${loads.map((l) => l.bytes).join(", ")}), ` +
            `requests ${median(loads.map((l) => l.requests))}`);
console.log(`  drawn and interactive after: median ${median(loads.map((l) => l.interactive)).toFixed(0)} ms ` +
            `(${loads.map((l) => l.interactive.toFixed(0)).join(", ")})`);

step("lighthouse");
// 2. Lighthouse on the same browser profile (so the member's key is in its IndexedDB), in a
// Chromium of its own, storage kept. (Attached to the Playwright-launched browser instead, it
// gave no report.)
await context.close();
const out = mkdtempSync(path.join(tmpdir(), "uurwerk-lighthouse-"));
for (const [name, hash] of [["home", "#home"], ["post", "#post/request"]]) {
  const file = path.join(out, `${name}.json`);
  const chromeFlags = ["--headless=new", ...flags, `--user-data-dir=${profile}`].join(" ");
  const r = spawnSync(lighthouse, [`${node.url}/${hash}`, `--chrome-flags=${chromeFlags}`,
                                    "--disable-storage-reset",
                                    "--only-categories=accessibility,performance,best-practices",
                                    "--output=json", `--output-path=${file}`, "--quiet"],
                      { encoding: "utf8", timeout: 240000,
                        env: { ...process.env, CHROME_PATH: chromiumPath } });
  if (r.status !== 0) {
    console.log(`lighthouse ${name}: failed (${r.status === null ? "no answer in 240 s" : r.status}): ` +
                `${(r.stderr || "").slice(0, 500)}`);
    continue;
  }
  const report = JSON.parse(readFileSync(file, "utf8"));
  const score = (c) => Math.round(report.categories[c].score * 100);
  console.log(`lighthouse ${name} (${report.configSettings.formFactor}, ${report.configSettings.throttlingMethod} throttling): ` +
              `accessibility ${score("accessibility")}, performance ${score("performance")}, ` +
              `best practices ${score("best-practices")}`);
  const failed = Object.values(report.audits)
    .filter((a) => a.score !== null && a.score < 1 && a.scoreDisplayMode !== "informative" &&
                   a.scoreDisplayMode !== "manual" && a.scoreDisplayMode !== "notApplicable")
    .map((a) => `${a.id} ${a.score}`);
  if (failed.length) console.log(`  audits below 1: ${failed.slice(0, 12).join(", ")}`);
  // The screen Lighthouse scored, to look at: the member's signed-in screen, not the welcome.
  const shot = report.audits["final-screenshot"]?.details?.data;
  if (shot) {
    mkdirSync("build/test-artifacts/web", { recursive: true });
    const image = `build/test-artifacts/web/lighthouse-${name}.jpg`;
    writeFileSync(image, Buffer.from(shot.slice(shot.indexOf(",") + 1), "base64"));
    console.log(`  the screen it scored: ${image}`);
  }
}
rmSync(out, { recursive: true, force: true });
rmSync(profile, { recursive: true, force: true });
await node.stop();
