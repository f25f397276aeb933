// The web app in a real browser (Debian's Chromium, driven by Playwright), as its people use it:
// each story on a fresh node-side community, each person on their own device (a browser context
// of their own, so their own keys in their own IndexedDB). Screenshots of every screen are kept
// in ARTEFACTS (test artefacts), and axe-core scans each one (no serious or critical violation).
//
// Usage: node story_test.mjs UURWERK_BINARY ARTEFACTS_DIR
import { check, device, finish, foundCommunity, invite, launch, sees, startNode } from "./browser.mjs";

const [binary, artefacts] = process.argv.slice(2);
const node = await startNode(binary);
const browser = await launch();
const opts = { artefacts };

async function join(d, link, name, phone) {
  await d.page.goto(link);
  await sees(d, "Doe mee", `${name} sees the invitation`);
  await d.shot("uitnodiging");
  await d.page.getByRole("button", { name: "Doe mee" }).click();
  await d.page.locator("#name").waitFor();
  await d.page.fill("#name", name);
  await d.page.fill("#phone", phone);
  await d.shot("gegevens");
  await d.page.getByRole("button", { name: "Opslaan" }).click();
  await sees(d, "Opgeslagen.", `${name} saved their profile`);
}

async function post(d, type, { category, area, slots, text, intensity = "once" }) {
  await d.page.goto(d.page.url().split("#")[0] + "#post/" + type);
  await d.page.locator("#category").waitFor();
  await d.page.selectOption("#category", category);
  await d.page.check(`input[name=intensity][value=${intensity}]`);
  await d.page.fill("#area", area);
  for (const s of slots) await d.page.check(`input.slot[value='${s}']`);
  await d.page.fill("#text", text);
  await d.shot(type === "offer" ? "aanbod" : "vraag");
  await d.page.getByRole("button", { name: "Plaatsen" }).click();
  await sees(d, "Uw oproep staat erop.", `${type} posted`);
}

const TUESDAY_AFTERNOON = 3 * 1 + 1;

// The node's log end: what a refused input must leave as it was ("nothing written").
async function logEnd() {
  const r = await fetch(node.url + "/v1/health");
  return (await r.json()).log_end;
}

// --------------------------------------------------------------------------------------------
// A coordinator invites two people; both join on their own devices; one asks for company on
// Tuesday afternoons; the other, with a fitting offer, receives the proposal live and says yes;
// both see each other's name and phone; the helper claims 1 h 30; the requester confirms; both
// balances change live.
{
  const story = "1-tijd-delen";
  const { community, coordKey } = foundCommunity(node, 7, "Buurtkring Lombok");
  // The coordinator takes the web app into use with a device link made with her key file, then
  // invites both in the app: the link and its QR code.
  const coord = await device(browser, story, "coordinator", opts);
  await coord.page.goto(invite(node, coordKey, community, ["--add-device"]));
  await coord.page.getByRole("button", { name: "Doe mee" }).click();
  await sees(coord, "Uitnodigen", "the coordinator's app offers invitations");
  const inviteIn = async (member) => {
    await coord.page.getByRole("link", { name: "Uitnodigen" }).click();
    await coord.page.locator("#member").waitFor();
    check(await coord.page.inputValue("#member") === member, `the app proposes member ${member}`);
    await coord.shot("uitnodigen");
    await coord.page.getByRole("button", { name: "Uitnodiging maken" }).click();
    await coord.page.locator("#invite-link").waitFor();
    check(await coord.page.locator("svg.qr").count() === 1, "the invitation has a QR code");
    await coord.shot("uitnodiging-klaar");
    return (await coord.page.locator("#invite-link").innerText()).trim();
  };
  const linkAns = await inviteIn("2");
  const linkBram = await inviteIn("3");
  const ans = await device(browser, story, "ans", opts);
  const bram = await device(browser, story, "bram", opts);
  await join(ans, linkAns, "Ans de Wit", "010 123 4567");
  await join(bram, linkBram, "Bram Visser", "06 1111 2222");
  await post(bram, "offer", { category: "companionship", area: "3512", slots: [TUESDAY_AFTERNOON],
                              intensity: "regularly", text: "Ik kom graag koffie drinken en een praatje maken." });
  await bram.page.goto(bram.page.url().split("#")[0] + "#home");
  await sees(bram, "Nog geen uren", "Bram's home before");
  await bram.shot("start");
  await post(ans, "request", { category: "companionship", area: "3512", slots: [TUESDAY_AFTERNOON],
                               text: "Wie komt er op dinsdagmiddag koffie drinken?" });
  // Bram's page is open on his home; the matcher's proposal reaches it without a reload.
  await sees(bram, "Ans de Wit vraagt hulp bij gezelschap, dinsdagmiddag. Kunt u helpen?",
             "the proposal reaches the helper's open page live", 15000);
  await bram.shot("voorstel");
  await bram.page.getByRole("button", { name: "Ja" }).click();
  await sees(bram, "Met Ans de Wit: gezelschap", "the helper sees the match");
  await sees(bram, "Telefoon: 010 123 4567", "the helper sees the requester's phone");
  await bram.shot("afspraak");
  await ans.page.goto(ans.page.url().split("#")[0] + "#home");
  await sees(ans, "Met Bram Visser: gezelschap", "the requester sees the match");
  await sees(ans, "Telefoon: 06 1111 2222", "the requester sees the helper's phone");
  await ans.shot("afspraak");
  await bram.page.getByRole("link", { name: "Uren schrijven" }).click();
  await bram.page.locator("#hours").waitFor();
  // Bad input first: no time, a negative time. A clear message; nothing written.
  const before = await logEnd();
  await bram.page.fill("#hours", "0");
  await bram.page.fill("#minutes", "0");
  await bram.page.getByRole("button", { name: "Uren schrijven" }).click();
  await sees(bram, "Vul een tijd in van meer dan 0 minuten.", "zero hours are refused");
  await bram.page.fill("#hours", "-1");
  await bram.page.getByRole("button", { name: "Uren schrijven" }).click();
  await sees(bram, "Uren en minuten zijn hele getallen", "negative hours are refused");
  check(await logEnd() === before, "zero and negative hours wrote nothing");
  await bram.shot("uren-fout");
  await bram.page.fill("#hours", "1");
  await bram.page.fill("#minutes", "30");
  await bram.page.fill("#note", "Koffie gedronken en de krant gelezen.");
  await bram.shot("uren");
  await bram.page.getByRole("button", { name: "Uren schrijven" }).click();
  await sees(bram, "Ans de Wit krijgt de vraag om dit te bevestigen.", "the claim is sent");
  // Ans's page is open on her home: the claim arrives live.
  await sees(ans, "Bram Visser schrijft 1 uur 30 min voor hulp aan u.", "the claim reaches the requester live");
  await ans.shot("bevestigen");
  await ans.page.getByRole("button", { name: "Klopt" }).click();
  await sees(ans, "1 uur 30 min te weinig", "the requester's balance changes");
  // Bram's page (his home, since he sent the claim) redraws with his new balance, live.
  await sees(bram, "1 uur 30 min tegoed", "the helper's balance changes live");
  await ans.shot("saldo");
  await bram.shot("saldo");
  // The history in words, with the day; the reputation and where it comes from.
  await bram.page.getByRole("link", { name: "Mijn uren" }).click();
  const today = new Date().toLocaleDateString("nl", { weekday: "long", day: "numeric", month: "long" });
  await sees(bram, `${today.charAt(0).toUpperCase() + today.slice(1)}: 1 uur 30 min van Ans de Wit`,
             "the history says when, how long and from whom");
  await sees(bram, "Uw waardering:", "the reputation is shown");
  await bram.shot("mijn-uren");
  // His statement of help given, to print on A4, with the QR code of his hour certificate (a
  // checkpoint signed now, so that the certificate proves the exchange).
  node.cli("audit", "checkpoint", "--community", String(community));
  await bram.page.getByRole("link", { name: "Overzicht om te printen" }).click();
  await sees(bram, "Gegeven hulp van Bram", "the statement names the helper");
  check((await bram.page.locator("#statement-total").innerText()).trim() === "1 uur 30 min",
        "the statement's total is the confirmed 1 h 30");
  check((await bram.page.locator("#statement").innerText()).includes("Ans de Wit"), "the statement says for whom");
  check(await bram.page.locator(".certificate svg.qr").count() === 1, "the statement has the certificate's QR code");
  const certUrl = (await bram.page.locator(".certificate .link-text").innerText()).trim();
  const cert = await bram.page.evaluate(async (u) => { const r = await fetch(u); return { status: r.status, body: await r.json() }; }, certUrl);
  check(cert.status === 200 && cert.body.format === "uurwerk-hour-certificate/3" &&
        Number(cert.body.total_minutes) === 90, `the QR code leads to Bram's hour certificate (${cert.status})`);
  await sees(bram, "Het certificaat bevestigt 1 uur 30 min", "the statement says what the certificate proves");
  await bram.shot("overzicht");
  await bram.page.emulateMedia({ media: "print" });
  check(!(await bram.page.locator("nav").isVisible()), "printed, the statement stands without the app's menu");
  await bram.page.screenshot({ path: `${artefacts}/1-tijd-delen/overzicht-print.png`, fullPage: true });
  await bram.page.emulateMedia({ media: "screen" });
  // Ans thanks Bram for the exchange (an endorsement), with a few words.
  await ans.page.getByRole("link", { name: "Bedanken" }).click();
  await ans.page.locator("#endorsement").waitFor();
  await ans.page.fill("#endorsement", "Heel gezellig, dank je wel!");
  await ans.shot("bedanken");
  await ans.page.getByRole("button", { name: "Bedanken" }).click();
  await sees(ans, "Bram Visser is bedankt.", "the requester thanks the helper");
  await ans.close();
  await bram.close();
  await coord.close();
}

// --------------------------------------------------------------------------------------------
// A daughter acts for her mother, who has no device: the coordinator admits the mother without
// a key and records the daughter as her proxy; the daughter's app shows "Voor wie ik zorg",
// switches to her mother and posts a request for her, every screen saying for whom she acts.
{
  const story = "2-dochter";
  const { community, coordKey } = foundCommunity(node, 8, "Zorgzaam Oost");
  node.cli("admit", "--key", coordKey, "--member", "4", "--no-key", "--verified", "--name", "Mevrouw Jansen");
  const link = invite(node, coordKey, community, ["--member", "5", "--verified"]);
  const daughter = await device(browser, story, "dochter", opts);
  await join(daughter, link, "Els Jansen", "06 5555 0000");
  node.cli("delegate", "--key", coordKey, "--to", "5", "--proxy-for", "4", "--kinds",
           "requestPosted,offerPosted,postWithdrawn,matchAccepted,matchDeclined,matchEnded," +
           "hoursConfirmed,hoursDisputed,endorsement,profileUpdated");
  await daughter.page.goto(daughter.page.url().split("#")[0] + "#care");
  await sees(daughter, "Mevrouw Jansen", "the proxy sees whom she cares for");
  await daughter.shot("voor-wie-ik-zorg");
  await daughter.page.getByRole("button", { name: "Handel voor Mevrouw Jansen" }).click();
  await sees(daughter, "U handelt nu voor Mevrouw Jansen.", "every screen says for whom she acts");
  await daughter.shot("start-moeder");
  await post(daughter, "request", { category: "shopping", area: "1094", slots: [3 * 3 + 0],
                                    text: "Boodschappen op donderdagochtend, graag." });
  await sees(daughter, "U handelt nu voor Mevrouw Jansen.", "the post screen says for whom too");
  await sees(daughter, "Vraag: Boodschappen, eenmalig", "the request is the mother's");
  await daughter.page.getByRole("button", { name: "Terug naar mijzelf" }).click();
  await sees(daughter, "U heeft geen open oproepen.", "back to herself: her own posts (none)");
  await daughter.shot("start-zelf");
  await daughter.close();
}

// --------------------------------------------------------------------------------------------
// A member adds a phone beside her laptop, then loses both and gets new keys from the
// coordinator: the new device works, the old ones are refused.
{
  const story = "3-apparaten";
  const { community, coordKey } = foundCommunity(node, 9, "Timebank Noord");
  const link = invite(node, coordKey, community, ["--member", "6", "--verified"]);
  const laptop = await device(browser, story, "laptop", opts);
  await join(laptop, link, "Karin Bakker", "06 2222 3333");
  await laptop.page.goto(laptop.page.url().split("#")[0] + "#device");
  await laptop.page.getByRole("button", { name: "Link voor mijn andere apparaat" }).click();
  await laptop.page.locator("#invite-link").waitFor();
  const phoneLink = (await laptop.page.locator("#invite-link").innerText()).trim();
  check(await laptop.page.locator("svg.qr").count() === 1, "the device link has a QR code");
  await laptop.shot("apparaat-link");
  const phone = await device(browser, story, "telefoon", opts);
  await phone.page.goto(phoneLink);
  await sees(phone, "koppelt u dit apparaat", "the phone sees an add-device invitation");
  await phone.page.getByRole("button", { name: "Doe mee" }).click();
  await sees(phone, "Start: Karin Bakker", "the phone is Karin's");
  await phone.shot("start");
  // Both devices lost: the coordinator checks who she is and gives her new keys.
  const replaceLink = invite(node, coordKey, community, ["--replace-keys", "--member", "6"]);
  const fresh = await device(browser, story, "nieuw", opts);
  await fresh.page.goto(replaceLink);
  await sees(fresh, "nieuwe sleutels", "the new device sees a replacement");
  await fresh.page.getByRole("button", { name: "Doe mee" }).click();
  await sees(fresh, "Start: Karin Bakker", "the new device is Karin's");
  await fresh.shot("start");
  // The old laptop tries to post: refused, nothing written.
  const before = await logEnd();
  await laptop.page.goto(laptop.page.url().split("#")[0] + "#post/offer");
  await laptop.page.reload();
  await sees(laptop, "ingetrokken", "the revoked laptop is told it was revoked", 10000);
  await laptop.shot("ingetrokken");
  check(await logEnd() === before, "the revoked device wrote nothing");
  await laptop.close();
  await phone.close();
  await fresh.close();
}

// --------------------------------------------------------------------------------------------
// In English, one click away; and bad input through the page: a clear message, nothing written.
{
  const story = "4-english-and-bad-input";
  const { community, coordKey } = foundCommunity(node, 10, "Helping Hands");
  const link = invite(node, coordKey, community, ["--member", "2", "--verified"]);
  const d = await device(browser, story, "sam", opts);
  await join(d, link, "Sam Jones", "06 7777 8888");
  await d.page.getByRole("button", { name: "In English" }).click();
  await sees(d, "I offer help", "the app speaks English");
  await d.page.goto(d.page.url().split("#")[0] + "#post/offer");
  await d.page.locator("#category").waitFor();
  await d.shot("offer-form");
  await d.page.selectOption("#category", "computerHelp");
  await d.page.fill("#area", "3512");
  // Over-long: 601 characters.
  let before = await logEnd();
  await d.page.fill("#text", "x".repeat(601));
  await sees(d, "601 of 600 characters", "the live count shows the limit");
  await d.page.getByRole("button", { name: "Post" }).click();
  await sees(d, "The text is too long: at most 600 characters.", "an over-long text is refused");
  check(await logEnd() === before, "an over-long text wrote nothing");
  await d.shot("too-long");
  // Planted markup in the text: shown as text, never run.
  const planted = `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1">`;
  await d.page.fill("#text", "Help with phones " + planted);
  await d.page.getByRole("button", { name: "Post" }).click();
  await sees(d, "Your post is up.", "an offer in English");
  await d.page.goto(d.page.url().split("#")[0] + "#home");
  await sees(d, planted, "a planted <script> and <img onerror> show as text");
  check(await d.page.evaluate(() => window.__pwned === undefined), "no planted script ran");
  await d.shot("home");
  // A profile with planted markup.
  await d.page.goto(d.page.url().split("#")[0] + "#profile");
  await d.page.locator("#about").waitFor();
  await d.page.fill("#about", planted);
  await d.page.getByRole("button", { name: "Save" }).click();
  await sees(d, "Saved.", "the profile with markup is saved");
  await d.page.reload();
  await d.page.locator("#about").waitFor();
  check(await d.page.inputValue("#about") === planted, "the profile's text comes back as typed");
  check(await d.page.evaluate(() => window.__pwned === undefined), "no planted script ran (profile)");
  // How often e-mail comes: once a week, kept by the node.
  await d.page.selectOption("#mail", "weekly");
  await sees(d, "Your choice is saved.", "the e-mail choice is saved");
  await d.page.reload();
  await d.page.locator("#mail").waitFor();
  check(await d.page.inputValue("#mail") === "weekly", "the e-mail choice comes back after a reload");
  await sees(d, "Fill in your e-mail address above", "without an address the page says mail needs one");
  await d.shot("profile-mail");
  // A second use of an invitation, and an expired one.
  const again = await device(browser, story, "stranger", opts);
  await again.page.goto(link);
  await sees(again, "Deze uitnodiging is al gebruikt.", "a second use of an invitation is refused");
  await again.shot("used");
  const soon = Date.now() + 1500;
  const expiring = invite(node, coordKey, community, ["--member", "3", "--until-ms", String(soon)]);
  await new Promise((r) => setTimeout(r, 2500));
  before = await logEnd();
  await again.page.goto("about:blank");
  await again.page.goto(expiring);
  await sees(again, "Deze uitnodiging is verlopen.", "an expired invitation is refused");
  check(await logEnd() === before, "an expired invitation wrote nothing");
  await again.shot("expired");
  await again.close();
  await d.close();
}

// --------------------------------------------------------------------------------------------
// The coordinators' console: a coordinator admits an elderly member with no device, invites a
// neighbour, verifies the member and makes the neighbour her proxy, hides a post, reverses a
// claim with a reason, changes the credit limit, and founds a new time bank from the page; the
// member's page (through her proxy) shows each change. A plain member gets no console.
{
  const story = "5-beheer";
  const { community, coordKey } = foundCommunity(node, 11, "Tijdbank Noord");
  // To a screen; to the one already shown, by a reload (no hash change would draw it again).
  const go = async (d, hash) => {
    const url = d.page.url().split("#")[0] + hash;
    if (d.page.url() === url) await d.page.reload();
    else await d.page.goto(url);
  };
  const coord = await device(browser, story, "coordinator", opts);
  await coord.page.goto(invite(node, coordKey, community, ["--add-device"]));
  await coord.page.getByRole("button", { name: "Doe mee" }).click();
  await sees(coord, "Beheer", "the coordinator's app offers the console");
  await coord.page.getByRole("link", { name: "Beheer" }).click();
  await sees(coord, "Tijdbank Noord. Aantal leden: 1.", "the console names the community");
  await coord.shot("beheer");
  // A member with no device, admitted from the page, not yet verified.
  await coord.page.getByRole("link", { name: "Lid zonder apparaat" }).click();
  await coord.page.locator("#name").waitFor();
  check(await coord.page.inputValue("#member") === "2", "the console proposes member 2");
  await coord.page.fill("#name", "Mevrouw de Vries");
  await coord.page.fill("#phone", "020 555 1234");
  await coord.page.uncheck("#verified");
  await coord.shot("lid-zonder-apparaat");
  await coord.page.getByRole("button", { name: "Lid maken" }).click();
  await sees(coord, "Mevrouw de Vries is lid, met nummer 2.", "the member without a device is admitted");
  await sees(coord, "nog niet gecontroleerd", "she is not verified yet");
  await sees(coord, "geen apparaat", "the console says she has no device");
  await coord.shot("lid-2");
  // A neighbour, invited from the app, joins on his own device.
  await coord.page.getByRole("link", { name: "Uitnodigen" }).click();
  await coord.page.locator("#member").waitFor();
  check(await coord.page.inputValue("#member") === "3", "the next free number is 3");
  await coord.page.getByRole("button", { name: "Uitnodiging maken" }).click();
  await coord.page.locator("#invite-link").waitFor();
  const linkPiet = (await coord.page.locator("#invite-link").innerText()).trim();
  const piet = await device(browser, story, "buurman", opts);
  await join(piet, linkPiet, "Piet Smit", "06 1234 0000");
  // A plain member gets no console, and the node refuses him its reads.
  await go(piet, "#console/members");
  await sees(piet, "Alleen coördinatoren kunnen de tijdbank beheren.", "a plain member gets no console");
  const refused = await piet.page.evaluate(
    async (c) => (await fetch(`/v1/communities/${c}/roster`)).status, String(community));
  check(refused === 403, `the roster is refused to a plain member (${refused})`);
  // The coordinator makes the neighbour her proxy.
  await go(coord, "#console/member/2");
  await coord.page.locator("#proxy").waitFor();
  await coord.page.fill("#proxy", "3");
  await coord.page.getByRole("button", { name: "Helper toevoegen" }).click();
  await sees(coord, "Piet Smit handelt nu voor Mevrouw de Vries.", "the proxy is recorded");
  await go(piet, "#care");
  await piet.page.getByRole("button", { name: "Handel voor Mevrouw de Vries" }).click();
  await sees(piet, "U handelt nu voor Mevrouw de Vries.", "the neighbour acts for her");
  await sees(piet, "nog niet gecontroleerd wie u bent", "her page says she is not verified yet");
  // Verified by the coordinator: her page no longer says so.
  await coord.page.getByRole("button", { name: "Identiteit gecontroleerd" }).click();
  await sees(coord, "Mevrouw de Vries is nu gecontroleerd.", "the coordinator verifies her");
  check(!(await coord.page.locator("#standing").innerText()).includes("nog niet"), "the console shows her verified");
  await coord.shot("gecontroleerd");
  await piet.page.reload();
  await sees(piet, "U handelt nu voor Mevrouw de Vries.", "still acting for her after a reload");
  check(await piet.page.locator("#not-verified").count() === 0, "her page shows the verification");
  await go(coord, "#console/members");
  await sees(coord, "Handelt voor: Mevrouw de Vries", "the member list says whom Piet acts for");
  await sees(coord, "Geholpen door: Piet Smit", "and who acts for her");
  await coord.shot("leden");
  // A request posted for her; the coordinator hides it with a reason.
  await post(piet, "request", { category: "companionship", area: "1021", slots: [TUESDAY_AFTERNOON],
                                text: "Wie komt er koffie drinken?" });
  await go(piet, "#home");
  await sees(piet, "Vraag: Gezelschap, eenmalig", "the request is hers");
  await go(coord, "#console/posts");
  await sees(coord, "Mevrouw de Vries vraagt: Gezelschap, eenmalig", "the console lists the open request");
  await coord.shot("oproepen");
  await coord.page.locator("#open-requests textarea").first().fill("Graag eerst even bellen met de coördinator.");
  await coord.page.locator("#open-requests").getByRole("button", { name: "Verbergen" }).first().click();
  await sees(coord, "De oproep is verborgen.", "the coordinator hides the request");
  await piet.page.reload();
  await sees(piet, "U heeft geen open oproepen.", "her page no longer shows the hidden request");
  // A claim for her (from a member who uses the command line), confirmed by her proxy, then
  // reversed by the coordinator with a reason, shown beside the original.
  const janKey = node.keys + "/jan-11.key";
  node.cli("join", "--link", invite(node, coordKey, community, ["--member", "4", "--verified"]), "--out", janKey);
  node.cli("profile", "--key", janKey, "--name", "Jan Klaassen");
  node.cli("claim", "--key", janKey, "--receiver", "2", "--minutes", "60");
  // His offer, never proposed yet: the console lists it for a match by hand.
  node.cli("offer", "--key", janKey, "--category", "dogWalking", "--area", "1021", "--text", "Ik laat graag honden uit.");
  await go(coord, "#console/posts");
  await sees(coord, "Aanbod dat nog nooit werd voorgesteld", "the console lists offers never proposed");
  await sees(coord, "Jan Klaassen biedt: Hond uitlaten", "the console lists Jan's offer");
  check(await coord.page.locator("#never-proposed").getByText("Jan Klaassen biedt: Hond uitlaten").count() === 1,
        "Jan's offer is among those never proposed");
  await coord.shot("nooit-voorgesteld");
  await piet.page.reload();
  await sees(piet, "Klopt", "her proxy sees the claim to confirm");
  await piet.page.getByRole("button", { name: "Klopt" }).click();
  await sees(piet, "1 uur te weinig", "her balance changes");
  await go(coord, "#console/member/2");
  await sees(coord, "1 uur hulp aan Mevrouw de Vries door Jan Klaassen", "the console lists the confirmed claim");
  await coord.page.locator("#exchanges textarea").first().fill("Dubbel geboekt.");
  await coord.page.locator("#exchanges").getByRole("button", { name: "Terugdraaien" }).first().click();
  await sees(coord, "Teruggedraaid. De saldo's zijn aangepast.", "the coordinator reverses the claim");
  await sees(coord, "Reden: Dubbel geboekt.", "the reversal's reason stands beside the original");
  await coord.shot("teruggedraaid");
  await piet.page.reload();
  await sees(piet, "Nog geen uren", "her balance is back at zero");
  // The reports, at a checkpoint signed now: every transaction, on the page and as CSV.
  node.cli("audit", "checkpoint", "--community", String(community));
  await go(coord, "#console/reports");
  await coord.page.locator("#report").waitFor();
  await coord.page.selectOption("#report", "transactions");
  await coord.page.getByRole("button", { name: "Rapport tonen" }).click();
  await sees(coord, "Berekend bij controlepunt", "the report names its checkpoint");
  const table = await coord.page.locator("#report-table").innerText();
  check(table.includes("claim") && table.includes("reversal"), "the transactions hold the claim and its reversal");
  await coord.shot("rapport");
  const csvHref = await coord.page.getByRole("link", { name: "Download als CSV (Excel)" }).getAttribute("href");
  const csv = await coord.page.evaluate(async (u) => (await fetch(u)).text(), csvHref);
  check(csv.startsWith("# uurwerk report transactions, community 11"), "the CSV download is the report");
  // Suspended with a reason, then reinstated: her page says so, then no more.
  await go(coord, "#console/member/2");
  await coord.page.locator("#suspend-reason").fill("Even pauze na een klacht.");
  await coord.page.getByRole("button", { name: "Schorsen" }).click();
  await sees(coord, "Mevrouw de Vries is geschorst.", "the coordinator suspends her");
  await sees(coord, "Schorsing opheffen", "the console offers to end the suspension");
  await piet.page.reload();
  await sees(piet, "Een coördinator heeft u geschorst.", "her page says she is suspended");
  await coord.page.getByRole("button", { name: "Schorsing opheffen" }).click();
  await sees(coord, "Mevrouw de Vries is niet meer geschorst.", "the coordinator reinstates her");
  await piet.page.reload();
  await sees(piet, "U handelt nu voor Mevrouw de Vries.", "her page again");
  check(await piet.page.locator("#suspended").count() === 0, "her page no longer says she is suspended");
  // The credit limit, from 10 hours to 2; a value out of range is refused in the page.
  await go(coord, "#console/policy");
  await coord.page.locator("#credit_limit_minutes").waitFor();
  check(await coord.page.inputValue("#credit_limit_minutes") === "10", "the credit limit shows in hours");
  await coord.shot("regels");
  const before = await logEnd();
  await coord.page.fill("#proposals_per_request", "99");
  await coord.page.getByRole("button", { name: "Regels opslaan" }).click();
  await sees(coord, "Kijk nog eens naar: Voorstellen per vraag.", "a knob out of range is refused");
  check(await logEnd() === before, "a knob out of range wrote nothing");
  await coord.page.fill("#proposals_per_request", "3");
  await coord.page.fill("#credit_limit_minutes", "2");
  await coord.page.getByRole("button", { name: "Regels opslaan" }).click();
  await sees(coord, "De nieuwe regels gelden nu.", "the coordinator changes the credit limit");
  await piet.page.reload();
  await sees(piet, "U mag tot 2 uur in de min staan", "her page shows the new credit limit");
  await piet.shot("voor-mevrouw");
  // The public impact page: closed to a visitor until the coordinator opens it in the rules;
  // then the figures at the checkpoint, with no name on the page (the one claim was reversed,
  // so no hours and no helper count).
  const visitor = await device(browser, story, "bezoeker", opts);
  await visitor.page.goto(`${node.url}/#impact/${community}`);
  await sees(visitor, "Deze tijdbank toont haar cijfers niet openbaar.", "the page is closed at first");
  await go(coord, "#console/policy");
  await coord.page.locator("#public_impact").waitFor();
  check(!(await coord.page.isChecked("#public_impact")), "the rules show the page closed");
  await coord.page.check("#public_impact");
  await coord.page.getByRole("button", { name: "Regels opslaan" }).click();
  await sees(coord, "De nieuwe regels gelden nu.", "the coordinator opens the public page");
  check(await coord.page.isChecked("#public_impact"), "the rules show the page open");
  const link = await coord.page.locator("#impact-link").getAttribute("href");
  check(link === `${node.url}/#impact/${community}`, "the rules give the page's link");
  await visitor.page.reload();
  await sees(visitor, "Wat Tijdbank Noord samen doet", "a visitor sees the public page");
  check(await visitor.page.locator("#impact-months tbody tr").count() === 12, "twelve months on the page");
  check((await visitor.page.locator("#impact-hours").innerText()).includes("0 min"), "the reversed hour counts nothing");
  check((await visitor.page.locator("#impact-helpers").innerText()).startsWith("0"), "nor its helper");
  // The root shown is a signed checkpoint's (the node may sign a later one meanwhile).
  const roots = await visitor.page.evaluate(async (c) =>
    (await (await fetch(`/v1/communities/${c}/checkpoints`)).json()).checkpoints.map((x) => x.root), community);
  const shown = ((await visitor.page.locator("#impact-root").textContent()) || "").trim();
  check(roots.includes(shown), `the page names a signed checkpoint's root (${shown} in ${roots.length})`);
  const body = await visitor.page.locator("body").innerText();
  check(!body.includes("Mevrouw") && !body.includes("Klaassen"), "no name on the public page");
  await visitor.page.locator("summary").click();
  await visitor.shot("openbaar");
  await visitor.page.getByRole("button", { name: "In English" }).click();
  await sees(visitor, "What Tijdbank Noord does together", "the public page in English");
  await visitor.shot("public-en");
  await visitor.close();
  // A new time bank, founded from the page with this device's key (the operator allows it).
  await go(coord, "#console/found");
  await coord.page.locator("#founder-key").waitFor();
  const key = (await coord.page.locator("#founder-key").innerText()).trim();
  node.local("allow-founder", "--data", node.data, "--public-key", key);
  await coord.page.fill("#community", "12");
  await coord.page.fill("#community-name", "Tijdbank Zuid");
  await coord.shot("nieuwe-tijdbank");
  await coord.page.getByRole("button", { name: "Tijdbank beginnen" }).click();
  await sees(coord, "Tijdbank Zuid is begonnen. U bent de coördinator.", "a new time bank founded from the page");
  await sees(coord, "Tijdbank Zuid. Aantal leden: 1.", "the console is the new time bank's");
  await coord.shot("tijdbank-zuid");
  // The console in English, one click away as everywhere.
  await coord.page.getByRole("button", { name: "In English" }).click();
  await go(coord, "#console/members");
  await sees(coord, "Members: 1, by number.", "the console speaks English");
  await coord.shot("members-en");
  await go(coord, "#console/policy");
  await sees(coord, "How far into the red (hours)", "the rules in English");
  // Founded from the app, a time bank puts a helper who had no match for a week first.
  check(await coord.page.locator("#match_silence_hours").inputValue() === "168",
        "a new time bank's helpers who had no match for a week go first");
  await coord.shot("rules-en");
  // A town of 1,250 members: the roster comes in pages of at most 1,000 (the node's bound a
  // read), which the console follows, and draws 200 cards at a time. The roster is served here
  // as the node would page it, so that the console's paging is seen without admitting 1,250.
  const town = Array.from({ length: 1250 }, (_, i) => ({
    member: String(i + 1), display_name: `Buur ${i + 1}`, role: "member", verified: true,
    suspended: false, former_member: false, balance_minutes: 0, last_active_ms: "1700000000000",
    keys: 1, acts_for: [], acted_for_by: [] }));
  const asked = [];
  await coord.page.route(/\/roster\?/, (route) => {
    const q = new URL(route.request().url()).searchParams;
    asked.push(q.toString());
    const after = Number(q.get("after") || 0), limit = Number(q.get("limit") || 1000);
    const rows = town.filter((m) => Number(m.member) > after).slice(0, limit);
    const body = { members: rows };
    if (rows.length && Number(rows[rows.length - 1].member) < town.length) body.next = rows[rows.length - 1].member;
    return route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify(body) });
  });
  await go(coord, "#console/members");
  await sees(coord, "Members: 1,250, by number.", "every page of the roster is read");
  check(JSON.stringify(asked) === JSON.stringify(["limit=1000", "limit=1000&after=1000"]),
        `the roster is read in two pages (${asked.join(" ; ")})`);
  check(await coord.page.locator("#roster > li").count() === 200, "200 members drawn at first");
  await coord.page.locator("#roster-more").scrollIntoViewIfNeeded();
  await coord.shot("members-more-en");
  await coord.page.getByRole("button", { name: "Show 200 more members" }).click();
  check(await coord.page.locator("#roster > li").count() === 400, "200 more on a click");
  check(await coord.page.evaluate(() => document.activeElement && document.activeElement.textContent) === "Buur 201 (no. 201)",
        "the focus goes to the first member added");
  for (let i = 0; i < 4; i++) await coord.page.locator("#roster-more").click();
  await coord.page.getByRole("button", { name: "Show 50 more members" }).click();
  check(await coord.page.locator("#roster > li").count() === 1250, "every member after six clicks");
  check(!(await coord.page.locator("#roster-more").isVisible()), "no button when all are shown");
  // Finding a member among them: part of the name, or the number.
  const search = coord.page.getByLabel("Find a member");
  await search.fill("buur 12");
  await sees(coord, "62 of the 1,250 members found.", "the search finds by part of the name, in any case");
  check(await coord.page.locator("#roster > li").count() === 62, "the list holds only those found");
  check(!(await coord.page.locator("#roster-more").isVisible()), "no more button for 62");
  await coord.shot("members-search-en");
  await search.fill("7");
  // "7" is member 7's number and in the names of 7, 17, 27, ..., 1247: 1 + 9 (x7) + 10 (7x) ...
  const sevens = town.filter((m) => m.member === "7" || m.display_name.includes("7")).length;
  await sees(coord, `${sevens.toLocaleString("en")} of the 1,250 members found.`, "the search counts what it finds");
  check(await coord.page.locator("#roster > li").count() === Math.min(200, sevens), "found ones drawn 200 at a time");
  check(await coord.page.locator("#roster-more").isVisible() === sevens > 200, "the more button only when more were found");
  await search.fill("1250");
  await sees(coord, "1 of the 1,250 members found.", "the search finds by number");
  check(await coord.page.locator("#roster > li").innerText().then((x) => x.startsWith("Buur 1250 (no. 1250)")), "the member found by number");
  await search.fill("");
  await sees(coord, "Members: 1,250, by number.", "an empty search shows everyone again");
  check(await coord.page.locator("#roster > li").count() === 200, "from the first 200 again");
  await search.fill("nobody");
  await sees(coord, "0 of the 1,250 members found.", "a search that finds nobody says so");
  check(await coord.page.locator("#roster > li").count() === 0, "and shows no card");
  await coord.page.unroute(/\/roster\?/);
  await piet.close();
  await coord.close();
}

await browser.close();
await node.stop();
finish();
