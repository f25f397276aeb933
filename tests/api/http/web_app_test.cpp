// The web app as the server serves it (api/web, api/http/routes.cpp): every file at its path
// with its type and the headers that keep the page to its own origin; the app's own scripts
// hold no inline script, load nothing from another origin and never write HTML from text; the
// two languages have the same keys. And the browser's canonical encoder (js/capnp.js, with the
// schema module the build generated) writes the same bytes as the C++ encoder for an event of
// every kind (run under Node.js: tests/api/web/encode_check.mjs).
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "api/http/routes.h"
#include "api/json/json.h"
#include "api/json/json_read.h"
#include "api/web/assets.h"
#include "ledger/core/crypto.h"
#include "tests/support/envelopes.h"
#include "tests/support/json_path.h"
#include "tests/support/run_command.h"
#include "tests/support/sessions.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_keys.h"
#include "tests/support/test_node.h"

using namespace uurwerk;
using uurwerk::testing::count;
using uurwerk::testing::J;
using uurwerk::testing::num;
using uurwerk::testing::str;
using uurwerk::testing::temp_dir;

namespace {

struct served {
    temp_dir dir{"web"};
    std::unique_ptr<node> n = uurwerk::testing::open_test_node(dir.path);
    routes api{*n, nullptr, nullptr};

    http_response get(std::string target, std::string session = "") {
        return api.handle(
            http_request{"GET", std::move(target), "", std::move(session), "", "127.0.0.1"});
    }
};

std::string header_of(const http_response& r, std::string_view name) {
    for (const auto& [k, v] : r.headers)
        if (k == name) return v;
    return {};
}

bool ours(std::string_view path) {
    return !path.starts_with("/js/vendor/");
}

std::string asset_text(std::string_view path) {
    const auto* a = web::find_asset(path);
    BOOST_REQUIRE_MESSAGE(a, path << " is not embedded");
    return std::string(a->bytes);
}

std::set<std::string> keys_of(const std::string& module_text) {
    std::set<std::string> keys;
    static const std::regex key(R"re("([A-Za-z0-9_.]+)":)re");
    for (auto it = std::sregex_iterator(module_text.begin(), module_text.end(), key);
         it != std::sregex_iterator(); ++it)
        keys.insert((*it)[1]);
    return keys;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_file_is_served_at_its_path_with_its_type_and_the_security_headers) {
    served s;
    BOOST_REQUIRE(!web::embedded_assets().empty());
    for (const auto& a : web::embedded_assets()) {
        auto r = s.get(std::string(a.path));
        BOOST_TEST_CONTEXT(a.path) {
            BOOST_TEST(r.status == 200u);
            BOOST_TEST(r.content_type == std::string(a.content_type));
            BOOST_TEST(r.body == std::string(a.bytes));
            const auto csp = header_of(r, "Content-Security-Policy");
            BOOST_TEST(csp.find("default-src 'self'") != std::string::npos);
            BOOST_TEST(csp.find("script-src 'self';") != std::string::npos);
            BOOST_TEST(csp.find("frame-ancestors 'none'") != std::string::npos);
            BOOST_TEST(csp.find("unsafe-inline") == std::string::npos);
            BOOST_TEST(csp.find("unsafe-eval") == std::string::npos);
            BOOST_TEST(csp.find("http") == std::string::npos);  // no other origin
            BOOST_TEST(header_of(r, "X-Content-Type-Options") == "nosniff");
        }
    }
    auto home = s.get("/");
    BOOST_TEST(home.status == 200u);
    BOOST_TEST(home.content_type == "text/html; charset=utf-8");
    BOOST_TEST(home.body == asset_text("/index.html"));
    BOOST_TEST(s.get("/js/nothing.js").status == 404u);
    BOOST_TEST(s.get("/index.html/x").status == 404u);
    for (const auto* path :
         {"/js/app.js", "/js/capnp.js", "/js/schema.js", "/js/vendor/qrcode.mjs", "/sw.js",
          "/manifest.webmanifest", "/i18n/nl.js", "/i18n/en.js", "/i18n/console.nl.js",
          "/i18n/console.en.js", "/css/app.css", "/icons/icon-192.png", "/icons/icon-512.png"})
        BOOST_TEST(web::find_asset(path) != nullptr, path << " is embedded");
}

BOOST_AUTO_TEST_CASE(the_apps_own_files_hold_no_inline_script_no_other_origin_and_no_html_writing) {
    const std::regex inline_script(R"(<script(?![^>]*\bsrc=)[^>]*>)", std::regex::icase);
    const std::regex handler_attribute(R"(<[^>]+\son[a-z]+\s*=)", std::regex::icase);
    const std::regex other_origin(R"((src|href|import[^;]*from)\s*=?\s*["'](https?:)?//)",
                                  std::regex::icase);
    for (const auto& a : web::embedded_assets()) {
        if (!ours(a.path)) continue;
        const std::string text(a.bytes);
        BOOST_TEST_CONTEXT(a.path) {
            BOOST_TEST(!std::regex_search(text, inline_script));
            BOOST_TEST(!std::regex_search(text, handler_attribute));
            BOOST_TEST(!std::regex_search(text, other_origin));
            for (const auto* sink : {"innerHTML", "outerHTML", "insertAdjacentHTML",
                                     "document.write", "eval(", "new Function"})
                BOOST_TEST(text.find(sink) == std::string::npos, "uses " << sink);
        }
    }
}

BOOST_AUTO_TEST_CASE(every_language_has_every_key_of_dutch) {
    // The app's texts, and the console's (loaded with it).
    for (const std::string part : {"", "console."}) {
        const auto nl = keys_of(asset_text("/i18n/" + part + "nl.js"));
        BOOST_TEST(nl.size() > 100u);
        for (const auto& other : {"/i18n/" + part + "en.js"}) {
            const auto keys = keys_of(asset_text(other));
            for (const auto& k : nl) BOOST_TEST(keys.count(k) == 1u, other << " lacks " << k);
            for (const auto& k : keys)
                BOOST_TEST(nl.count(k) == 1u, other << " has " << k << " extra");
        }
    }
}

// The home page's one read (GET .../members/{m}/overview): the member's open posts, the claims
// they are to confirm and those they wait on, with the other person; not another member's.
BOOST_AUTO_TEST_CASE(the_overview_shows_a_member_what_waits_for_them) {
    served s;
    constexpr community_id town{7};
    const auto k1 = uurwerk::testing::key_filled_with(1), k2 = uurwerk::testing::key_filled_with(2),
               k3 = uurwerk::testing::key_filled_with(3);
    std::map<std::uint64_t, std::uint64_t> seq;
    const auto submit = [&](const signing_key& k, std::uint64_t author, event_payload p) {
        const auto id = random_event_id();
        auto e = k.seal(event_body{id, town, member_id{author}, sequence{++seq[author]}, time_ms{0},
                                   std::nullopt, std::move(p)});
        auto r = s.api.handle(http_request{"POST", "/v1/events", uurwerk::testing::envelope_json(e),
                                           "", "", "127.0.0.1"});
        BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
        return id;
    };
    submit(k1, 1,
           community_founded{"Buurtkring West", policy{minutes{600}, minutes{6000}, minutes{240}}});
    for (auto [m, k] : {std::pair{2u, &k2}, {3u, &k3}})
        submit(k1, 1,
               member_admitted{member_id{m}, k->public_bytes(), role::member, true, std::nullopt});
    request_posted ask;
    ask.what = category::shopping;
    ask.area = "3512";
    ask.availability = 4;
    const auto request = submit(k2, 2, ask);
    request_posted other = ask;
    const auto withdrawn = submit(k2, 2, other);
    submit(k2, 2, post_withdrawn{withdrawn});
    const auto claim = submit(k3, 3, hours_claimed{member_id{2}, minutes{90}, request, {}});

    const auto overview_of = [&](std::uint64_t m, const signing_key& k) {
        auto r = s.get("/v1/communities/7/members/" + std::to_string(m) + "/overview",
                       uurwerk::testing::bearer(k, town, member_id{m}));
        BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
        auto d = json_doc::parse(r.body);
        BOOST_REQUIRE(d.ok());
        return std::move(*d);
    };
    auto two = overview_of(2, k2);
    const auto& o2 = two.root();
    BOOST_TEST(str(J(o2, "member")) == "2");
    BOOST_TEST(num(J(o2, "balance", "balance_minutes")) == 0);
    BOOST_TEST(num(J(o2, "balance", "credit_limit_minutes")) == 600);
    BOOST_REQUIRE(count(J(o2, "posts")) == 1u);
    BOOST_TEST(str(J(o2, "posts", 0, "id")) == request.hex());
    BOOST_TEST(str(J(o2, "posts", 0, "type")) == "request");
    BOOST_TEST(str(J(o2, "posts", 0, "category")) == "shopping");
    BOOST_TEST(num(J(o2, "posts", 0, "availability")) == 4);
    BOOST_REQUIRE(count(J(o2, "claims_to_confirm")) == 1u);
    BOOST_TEST(str(J(o2, "claims_to_confirm", 0, "claim")) == claim.hex());
    BOOST_TEST(str(J(o2, "claims_to_confirm", 0, "other")) == "3");
    BOOST_TEST(num(J(o2, "claims_to_confirm", 0, "minutes")) == 90);
    BOOST_TEST(str(J(o2, "claims_to_confirm", 0, "status")) == "pending");
    BOOST_TEST(count(J(o2, "claims_sent")) == 0u);
    BOOST_TEST(count(J(o2, "proposals")) == 0u);
    BOOST_TEST(count(J(o2, "matches")) == 0u);

    auto three = overview_of(3, k3);
    const auto& o3 = three.root();
    BOOST_TEST(count(J(o3, "posts")) == 0u);
    BOOST_TEST(count(J(o3, "claims_to_confirm")) == 0u);
    BOOST_REQUIRE(count(J(o3, "claims_sent")) == 1u);
    BOOST_TEST(str(J(o3, "claims_sent", 0, "other")) == "2");
    BOOST_TEST(num(J(o3, "balance", "pending_in_minutes")) == 90);

    BOOST_TEST(count(J(o2, "to_endorse")) == 0u);

    // Confirmed: each may thank the other once (to_endorse), until they did.
    submit(k2, 2, hours_confirmed{claim});
    BOOST_TEST(count(J(overview_of(2, k2).root(), "claims_to_confirm")) == 0u);
    auto thanks = overview_of(3, k3);
    BOOST_REQUIRE(count(J(thanks.root(), "to_endorse")) == 1u);
    BOOST_TEST(str(J(thanks.root(), "to_endorse", 0, "claim")) == claim.hex());
    BOOST_TEST(str(J(thanks.root(), "to_endorse", 0, "other")) == "2");
    BOOST_TEST(num(J(thanks.root(), "to_endorse", 0, "minutes")) == 90);
    BOOST_TEST(num(J(thanks.root(), "balance", "balance_minutes")) == 90);
    submit(k3, 3, endorsement{member_id{2}, claim, {}});
    BOOST_TEST(count(J(overview_of(3, k3).root(), "to_endorse")) == 0u);
    BOOST_TEST(count(J(overview_of(2, k2).root(), "to_endorse")) == 1u);

    // The history says when each line happened (the log's clock).
    auto h = s.get("/v1/communities/7/members/2/history",
                   uurwerk::testing::bearer(k2, town, member_id{2}));
    BOOST_REQUIRE_MESSAGE(h.status == 200u, h.body);
    auto hd = json_doc::parse(h.body);
    BOOST_REQUIRE(hd.ok());
    BOOST_REQUIRE(count(J(hd->root(), "entries")) >= 3u);
    std::size_t with_category = 0;
    for (std::size_t i = 0; i < count(J(hd->root(), "entries")); ++i) {
        const auto& e = J(hd->root(), "entries", i);
        BOOST_TEST(str(J(e, "at_ms")) == "1700000000000");
        // What the help was, on the lines that moved hours (the claim named the request).
        const bool hours =
            num(J(e, "balance_delta_minutes")) != 0 || num(J(e, "pending_delta_minutes")) != 0;
        BOOST_TEST((e.at("category") != nullptr) == hours, str(J(e, "kind")));
        if (e.at("category") != nullptr) {
            BOOST_TEST(str(J(e, "category")) == "shopping");
            ++with_category;
        }
    }
    BOOST_TEST(with_category == 2u);  // claimed (pending), then confirmed

    // Member 3 may not read member 2's overview; nobody without a session.
    BOOST_TEST(s.get("/v1/communities/7/members/2/overview",
                     uurwerk::testing::bearer(k3, town, member_id{3}))
                   .status == 403u);
    BOOST_TEST(s.get("/v1/communities/7/members/2/overview").status == 401u);
}

// ---------------------------------------------------------------------------------------------
// The browser's encoder against the C++ one.

namespace {

const std::string id1 = "00112233445566778899aabbccddeeff";
const std::string id2 = "ffeeddccbbaa99887766554433221100";
const std::string key = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const std::string dig = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

// An event body of each kind (and the corners of the encoding: a union member of no fields
// set, empty data, a list, true bools, the largest and negative 64-bit values), in the JSON form
// POST /v1/canonical takes.
std::vector<std::pair<std::string, std::string>> cases() {
    const auto with = [](std::string kind, std::string payload, std::string extra = "") {
        return std::pair{kind, R"({"id":")" + id1 + R"(","community":"7","author":"1","seq":"3",)" +
                                   R"("createdAtMs":"1700000000000")" + extra + R"(,")" + kind +
                                   R"(":)" + payload + "}"};
    };
    const std::string knobs =
        R"({"creditLimitMinutes":"600","balanceMaxMinutes":"6000","claimMinutesMax":"240",)"
        R"("fairnessOff":true,"proposalsPerRequest":3,"openMatchesMax":4,"newcomerFloorHours":72,)"
        R"("qualityFloorPermille":500,"reputationWeightMaxPermille":200,)"
        R"("lowReputationProposalsMin":1,"reputationHalfLifeDays":180,"requestWaitHoursMax":48,)"
        R"("silenceFloorHours":336,"silentProposalsMax":17,"contactWindowDays":30,)"
        R"("retentionDays":730,"unmatchedFirstProposals":20,"publicImpact":true,)"
        R"("matchSilenceHours":168})";
    return {
        with("communityFounded",
             R"({"name":"Buurtkring West","policy":{"creditLimitMinutes":"600",)"
             R"("balanceMaxMinutes":"6000","claimMinutesMax":"240"}})"),
        with("communityFounded", R"({"name":"Zorgzaam Oost ë ☺","policy":)" + knobs + "}"),
        with("policyChanged", R"({"policy":)" + knobs + "}"),
        with("policyChanged", R"({"policy":{"creditLimitMinutes":"0","balanceMaxMinutes":"1",)"
                              R"("claimMinutesMax":"1"}})"),
        with("nodeKeyAnnounced", R"({"key":")" + key + R"("})"),
        with("memberAdmitted", R"({"member":"2","key":")" + key +
                                   R"(","role":"coordinator","verified":true,"profileDigest":")" +
                                   dig + R"("})"),
        with("memberAdmitted", R"({"member":"3","role":"member","verified":false})"),
        with("memberAdmitted", R"({"member":"3","key":"","role":"member"})"),
        with("keyAdded", R"({"member":"2","key":")" + key + R"("})"),
        with("keyRevoked", R"({"member":"0","key":")" + key + R"("})"),
        with("delegationGranted",
             R"({"delegate":"4","kinds":["offerPosted","requestPosted","hoursConfirmed",)"
             R"("matchAccepted","profileUpdated"],"untilMs":"1700000060000","grantor":"5"})"),
        with("delegationGranted", R"({"delegate":"4","kinds":["transfer"]})"),
        with("delegationRevoked", R"({"delegate":"4","grantor":"0"})"),
        with("memberSuspended", R"({"member":"5","reasonDigest":")" + dig + R"("})"),
        with("memberReinstated", R"({"member":"5"})"),
        with("memberVerified", R"({"member":"5"})"),
        with("offerPosted", R"({"category":"shopping","intensity":"regularly","area":"3512",)"
                            R"("availability":4,"textDigest":")" +
                                dig + R"("})"),
        with("requestPosted",
             R"({"category":"companionship","intensity":"once","area":"1234",)"
             R"("availability":2097151,"textDigest":")" +
                 dig + R"("})",
             R"(,"onBehalfOf":"2")"),
        with("requestPosted", R"({"category":"dogWalking","intensity":"sometimes","area":""})"),
        with("postWithdrawn", R"({"post":")" + id2 + R"("})"),
        with("postHidden", R"({"post":")" + id2 + R"(","reasonDigest":")" + dig + R"("})"),
        with("matchProposed", R"({"request":")" + id1 + R"(","offer":")" + id2 +
                                  R"(","helper":"3","round":2,"rank":1,"roundSize":3,)"
                                  R"("basis":"120"})"),
        with("matchAccepted", R"({"match":")" + id2 + R"("})"),
        with("matchDeclined", R"({"match":")" + id2 + R"("})"),
        with("matchEnded", R"({"match":")" + id2 + R"("})"),
        with("hoursClaimed", R"({"receiver":"2","minutes":"90","post":")" + id2 +
                                 R"(","noteDigest":")" + dig + R"("})"),
        with("hoursClaimed", R"({"receiver":"2","minutes":"1"})"),
        with("hoursConfirmed", R"({"claim":")" + id2 + R"("})"),
        with("hoursDisputed", R"({"claim":")" + id2 + R"(","reasonDigest":")" + dig + R"("})"),
        with("transfer", R"({"to":"0","minutes":"30"})"),
        with("reversal", R"({"target":")" + id2 + R"(","reasonDigest":")" + dig + R"("})"),
        with("endorsement",
             R"({"member":"2","claim":")" + id2 + R"(","textDigest":")" + dig + R"("})"),
        with("checkpoint", R"({"treeSize":"12","rootHash":")" + dig +
                               R"(","timestampMs":"1700000000000","verdictRoot":")" + dig +
                               R"("})"),
        with("memberLeft", R"({"member":"9"})"),
        with("profileUpdated", R"({"member":"2","profileDigest":")" + dig + R"("})"),
        with("auditorAppointed", R"({"key":")" + key + R"(","untilMs":"1700000000001"})"),
        with("invitationIssued",
             R"({"purpose":"join","member":"12","role":"coordinator","verified":true,)"
             R"("codeDigest":")" +
                 dig + R"(","untilMs":"1700000100000"})"),
        with("invitationIssued", R"({"purpose":"addDevice","member":"2","codeDigest":")" + dig +
                                     R"(","untilMs":"1700000100000"})"),
        with("invitationIssued", R"({"purpose":"replaceKeys","member":"2","codeDigest":")" + dig +
                                     R"(","untilMs":"1700000100000"})"),
        {"invitationRedeemed",
         R"({"id":")" + id1 + R"(","community":"7","author":"12","seq":"1",)" +
             R"("createdAtMs":"1700000000000","invitationRedeemed":{"invitation":")" + id2 +
             R"(","code":"000102030405060708090a0b0c0d0e0f"}})"},
        {"extremes", R"({"id":")" + id1 +
                         R"(","community":"18446744073709551615","author":"9223372036854775808",)"
                         R"("seq":"1","createdAtMs":"-5","transfer":{"to":"1",)"
                         R"("minutes":"10080"}})"},
    };
}

void write_file(const std::filesystem::path& p, std::string_view text) {
    std::ofstream f(p, std::ios::binary);
    f << text;
    BOOST_REQUIRE(f.good());
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_browsers_encoder_writes_the_bytes_of_the_cpp_encoder_for_every_kind) {
    temp_dir dir{"web-encoder"};
    std::string list = "[";
    std::set<std::string> kinds;
    std::size_t n = 0;
    const auto add = [&](const std::string& name, const std::string& json, byte_view body) {
        list += std::string(n++ ? "," : "") + "{\"name\":" + json_quote(name) +
                ",\"json\":" + json + ",\"body\":\"" + to_base64(body) + "\"}";
    };
    for (const auto& [kind, json] : cases()) {
        auto body = canonical_body_from_json(json);
        BOOST_REQUIRE_MESSAGE(body, kind << ": " << (body ? "" : body.err().message) << "\n"
                                         << json);
        kinds.insert(kind);
        add(kind, json, *body);
        // And as the node writes the same body back (GET .../events/{id}): the app reads events
        // in that form too.
        auto written = body_to_json(*body);
        BOOST_REQUIRE(written);
        add(kind + " (as the node writes it)", *written, *body);
    }
    // Real events of the seed corpus of the fuzzers.
    for (const auto& f : std::filesystem::directory_iterator(std::string(UURWERK_SOURCE_DIR) +
                                                             "/tests/fuzz/corpus/event")) {
        if (f.path().extension() != ".body") continue;
        std::ifstream in(f.path(), std::ios::binary);
        const bytes body{std::istreambuf_iterator<char>(in), {}};
        auto written = body_to_json(body);
        if (!written) continue;  // a seed that is no event
        add(f.path().filename().string(), *written, body);
    }
    list += "]";
    // Every kind of the schema has a case.
    for (std::size_t k = 0; k < event_kind_count; ++k) {
        std::string name(kind_name(static_cast<event_kind>(k)));
        BOOST_TEST(kinds.count(name) == 1u, "no case of " << name);
    }
    write_file(dir.path / "cases.json", list);
    write_file(dir.path / "capnp.js", asset_text("/js/capnp.js"));
    write_file(dir.path / "schema.js", asset_text("/js/schema.js"));
    auto r = uurwerk::testing::run_command(
        {"node", std::string(UURWERK_SOURCE_DIR) + "/tests/api/web/encode_check.mjs",
         (dir.path / "cases.json").string(), (dir.path / "capnp.js").string(),
         (dir.path / "schema.js").string()});
    BOOST_TEST_MESSAGE(r.out);
    BOOST_TEST(r.exit_code == 0, r.out);
    BOOST_TEST(r.out.find(std::to_string(n) + " passed, 0 failed") != std::string::npos, r.out);
}
