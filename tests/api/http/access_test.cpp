// Who may read what (api/http/access.h, api/README.md "Who may read what"), from the side of
// those who may not: the authorization matrix walks every row of routes::table() with every
// kind of reader (no session, the member, another member, their delegate, a coordinator,
// another community's coordinator, a suspended member, an auditor, an auditor whose appointment
// ended, a key never appointed posing as one, and sessions that are expired, forged, of a
// revoked key, or too far ahead) and checks each answer's status; an auditor may not have a
// member's notes revealed; a member who may not read
// about a member or a claim gets the same 403 whether it exists or not; revoking a key or
// suspending a member ends their sessions at once; a delegation that has ended reads no more;
// the cookie of POST /v1/session reads like the header; the operator's routes answer loopback or
// the operator token; and a token's signature is verified once.
#include <boost/test/unit_test.hpp>

#include <map>
#include <string>
#include <vector>

#include "api/http/routes.h"
#include "api/json/json_read.h"
#include "api/web/assets.h"
#include "tests/support/envelopes.h"
#include "tests/support/error_answers.h"
#include "tests/support/sessions.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_keys.h"
#include "tests/support/test_node.h"

using namespace uurwerk;
using uurwerk::testing::envelope_json;
using uurwerk::testing::error_code_of;
using uurwerk::testing::key_filled_with;
using uurwerk::testing::signed_token;
using uurwerk::testing::temp_dir;

namespace {

constexpr community_id town{7};
constexpr community_id elsewhere{8};
const std::string operator_token(40, 'k');

// The rule each route must have: written here apart from the table, so that a route added
// without a rule, or a rule changed, fails this test (api/README.md is where it is argued).
const std::map<std::pair<http_method, std::string_view>, caller>& expected_rules() {
    using M = http_method;
    static const std::map<std::pair<http_method, std::string_view>, caller> rules = {
        {{M::get, "/"}, caller::anyone},
        {{M::get, "/v1/health"}, caller::anyone},
        {{M::get, "/v1/digest"}, caller::node_operator},
        {{M::get, "/metrics"}, caller::node_operator},
        {{M::post, "/v1/canonical"}, caller::anyone},
        {{M::post, "/v1/events"}, caller::event_signer},
        {{M::any, "/v1/events/{i}"}, caller::anyone},
        {{M::post, "/v1/session"}, caller::anyone},
        {{M::post, "/v1/session/end"}, caller::anyone},
        {{M::get, "/v1/communities/{c}"}, caller::anyone},
        {{M::get, "/v1/communities/{c}/events/{id}"}, caller::auditor},
        {{M::get, "/v1/communities/{c}/members"}, caller::member},
        {{M::get, "/v1/communities/{c}/members/{m}/balance"}, caller::self},
        {{M::get, "/v1/communities/{c}/members/{m}/history"}, caller::self},
        {{M::get, "/v1/communities/{c}/members/{m}/reputation"}, caller::self},
        {{M::get, "/v1/communities/{c}/members/{m}/requests-for-me"}, caller::self},
        {{M::get, "/v1/communities/{c}/members/{m}/profile"}, caller::member},
        {{M::get, "/v1/communities/{c}/members/{m}/contact"}, caller::match_partner},
        {{M::get, "/v1/communities/{c}/members/{m}/export"}, caller::self},
        {{M::get, "/v1/communities/{c}/members/{m}/overview"}, caller::self},
        {{M::get, "/v1/communities/{c}/members/{m}/delegations"}, caller::self},
        {{M::get, "/v1/communities/{c}/members/{m}/mail"}, caller::self},
        {{M::post, "/v1/communities/{c}/members/{m}/mail"}, caller::self},
        {{M::get, "/v1/mail/unsubscribe"}, caller::anyone},
        {{M::post, "/v1/communities/{c}/invitations/{id}/mail"}, caller::coordinator},
        {{M::post, "/v1/mail/unsubscribe"}, caller::anyone},
        {{M::post, "/v1/communities/{c}/invitations/{id}/check"}, caller::anyone},
        {{M::get, "/v1/communities/{c}/invitations"}, caller::coordinator},
        {{M::get, "/v1/communities/{c}/roster"}, caller::coordinator},
        {{M::get, "/v1/communities/{c}/keys/{key}"}, caller::anyone},
        {{M::get, "/v1/communities/{c}/offers"}, caller::member},
        {{M::get, "/v1/communities/{c}/requests"}, caller::member},
        {{M::get, "/v1/communities/{c}/requests/{id}/candidates"}, caller::party},
        {{M::get, "/v1/communities/{c}/claims/{id}"}, caller::party},
        {{M::post, "/v1/communities/{c}/match"}, caller::coordinator},
        {{M::get, "/v1/communities/{c}/members/{m}/proposals"}, caller::self},
        {{M::get, "/v1/communities/{c}/members/{m}/stream"}, caller::self},
        {{M::get, "/v1/node"}, caller::anyone},
        {{M::get, "/v1/communities/{c}/tree"}, caller::anyone},
        {{M::get, "/v1/communities/{c}/checkpoints/latest"}, caller::anyone},
        {{M::get, "/v1/communities/{c}/checkpoints"}, caller::anyone},
        {{M::post, "/v1/communities/{c}/checkpoints"}, caller::anyone},
        {{M::get, "/v1/communities/{c}/events/{id}/proof"}, caller::anyone},
        {{M::get, "/v1/communities/{c}/consistency"}, caller::anyone},
        {{M::get, "/v1/communities/{c}/leaves"}, caller::auditor},
        {{M::get, "/v1/communities/{c}/leaves/{i}/proof"}, caller::auditor},
        {{M::get, "/v1/communities/{c}/export"}, caller::auditor},
        {{M::get, "/v1/communities/{c}/members/{m}/certificate"}, caller::self_or_auditor},
        {{M::get, "/v1/communities/{c}/reports/{i}"}, caller::auditor},
        {{M::get, "/v1/communities/{c}/impact"}, caller::anyone},
    };
    return rules;
}

// Community 7: founder 1 (coordinator), members 2 (the subject of the member routes: owner of
// a request, claimant of a claim received by 1), 3 (another member), 4 (2's delegate), 5
// (suspended), 6 (whose key is revoked), 9 (a delegate of 2 until shortly after now); the
// auditor key ka (appointed for an hour) and kb (appointed, then its appointment ended).
// Community 8: founder 10, its coordinator.
struct world {
    temp_dir dir{"access"};
    std::unique_ptr<node> n;
    time_ms now{1'700'000'000'000};
    std::unique_ptr<routes> api;
    signing_key k1 = key_filled_with(1), k2 = key_filled_with(2), k3 = key_filled_with(3),
                k4 = key_filled_with(4), k5 = key_filled_with(5), k6 = key_filled_with(6),
                k9 = key_filled_with(9), k10 = key_filled_with(10), stranger = key_filled_with(77),
                ka = key_filled_with(20), kb = key_filled_with(21);
    std::map<std::uint64_t, std::uint64_t> seq;  // by member id (one key each)
    event_id request, claim;

    world() {
        n = uurwerk::testing::open_test_node(dir.path);  // the log's clock stands at `now`
        // The matrix asks thousands of times from one address: the rate quotas (tested in
        // quota_server_test) are off here.
        api = std::make_unique<routes>(*n, nullptr, nullptr,
                                       access_options{[this] { return now; }, operator_token},
                                       quota_options::unlimited());
        // The impact page open, so that its caller rule (anyone) is what this matrix sees; its
        // policy switch is tested in tests/api/cli/report_test.cpp.
        policy rules{minutes{600}, minutes{6000}, minutes{240}};
        rules.public_impact = impact_page::open;
        submit(k1, town, member_id{1}, community_founded{"Buurtkring West", rules});
        for (auto [m, key] : {std::pair{2, &k2}, {3, &k3}, {4, &k4}, {5, &k5}, {6, &k6}, {9, &k9}})
            submit(k1, town, member_id{1},
                   member_admitted{member_id{static_cast<std::uint64_t>(m)}, key->public_bytes(),
                                   role::member, true, std::nullopt});
        submit(k2, town, member_id{2},
               delegation_granted{member_id{4}, {event_kind::request_posted}, time_ms{0}});
        submit(k2, town, member_id{2},
               delegation_granted{
                   member_id{9}, {event_kind::request_posted}, time_ms{now.value + 60'000}});
        submit(k1, town, member_id{1}, member_suspended{member_id{5}, std::nullopt});
        submit(k1, town, member_id{1}, key_revoked{member_id{6}, k6.public_bytes()});
        request =
            submit(k2, town, member_id{2},
                   request_posted{{category::shopping, std::nullopt, intensity::once, "3512", 0}});
        claim = submit(k2, town, member_id{2},
                       hours_claimed{member_id{1}, minutes{60}, std::nullopt, std::nullopt});
        submit(k10, elsewhere, member_id{10}, community_founded{"Elders", rules});
        submit(k1, town, member_id{1},
               auditor_appointed{ka.public_bytes(), time_ms{now.value + 3'600'000}});
        submit(k1, town, member_id{1},
               auditor_appointed{kb.public_bytes(), time_ms{now.value + 3'600'000}});
        submit(k1, town, member_id{1}, auditor_appointed{kb.public_bytes(), time_ms{0}});
    }

    event_id submit(const signing_key& key, community_id c, member_id author, event_payload p,
                    const std::optional<personal_text>& personal = std::nullopt) {
        const auto id = random_event_id();
        auto e = key.seal(event_body{id, c, author, sequence{++seq[author.value]}, now,
                                     std::nullopt, std::move(p)});
        auto a = api->handle(http_request{"POST", "/v1/events",
                                          personal ? envelope_json(e, *personal) : envelope_json(e),
                                          "", "", ""});
        BOOST_REQUIRE_MESSAGE(a.status == 200, a.body);
        return id;
    }

    std::string bearer(const signing_key& key, community_id c, member_id m,
                       std::int64_t ms_ahead = 3'600'000) {
        return "Bearer " + signed_token(key, c, m, time_ms{now.value + ms_ahead});
    }

    http_response ask(std::string method, std::string target, std::string authorization,
                      std::string peer = "203.0.113.9", std::string cookie = "") {
        return api->handle(http_request{std::move(method), std::move(target), "",
                                        std::move(authorization), std::move(cookie),
                                        std::move(peer)});
    }
};

// A concrete path for a row's pattern: community 7, member 2, its request or claim, leaf 0.
std::string path_of(std::string_view pattern, const world& w) {
    std::string out(pattern);
    auto put = [&](std::string_view p, const std::string& v) {
        if (auto at = out.find(p); at != std::string::npos) out.replace(at, p.size(), v);
    };
    put("{c}", "7");
    put("{m}", "2");
    put("{id}",
        pattern.find("/claims/") != std::string_view::npos ? w.claim.hex() : w.request.hex());
    put("{key}", w.k2.public_bytes().hex());
    put("{i}", "0");
    return out;
}

enum class expect : std::uint8_t { passes, unauthenticated, forbidden };

// What reader `who` gets from a route with rule `rule`.
struct reader {
    std::string name;
    std::string authorization;
    std::map<caller, expect> by_rule;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(access_suite)

BOOST_AUTO_TEST_CASE(every_route_has_the_rule_the_contract_gives_it) {
    world w;
    std::size_t seen = 0;
    std::size_t files = 0;
    for (const auto& r : w.api->rows()) {
        // The web app's files (api/web) are public, each at its own path.
        if (r.pattern != "/" && web::find_asset(r.pattern)) {
            ++files;
            BOOST_CHECK_MESSAGE(r.method == http_method::get && r.who == caller::anyone,
                                r.pattern << ": a file of the web app is anyone's to GET");
            continue;
        }
        auto it = expected_rules().find({r.method, r.pattern});
        BOOST_CHECK_MESSAGE(it != expected_rules().end(),
                            r.pattern << ": a route this test does not know; give it its rule");
        if (it == expected_rules().end()) continue;
        ++seen;
        BOOST_CHECK_MESSAGE(it->second == r.who, r.pattern << " is " << caller_name(r.who)
                                                           << ", not " << caller_name(it->second));
    }
    BOOST_CHECK_EQUAL(seen, expected_rules().size());
    BOOST_CHECK_EQUAL(files, web::embedded_assets().size());
}

BOOST_AUTO_TEST_CASE(the_authorization_matrix) {
    world w;
    using E = expect;
    const auto P = E::passes, U = E::unauthenticated, F = E::forbidden;
    // passes/unauthenticated/forbidden for: member, self, party, coordinator, match partner,
    // auditor, self or auditor (the operator's routes below). Member 3 has no match with
    // member 2.
    auto rules = [](E member, E self, E party, E coordinator, E partner, E auditor,
                    E self_or_auditor) {
        return std::map<caller, E>{{caller::member, member},
                                   {caller::self, self},
                                   {caller::party, party},
                                   {caller::coordinator, coordinator},
                                   {caller::match_partner, partner},
                                   {caller::auditor, auditor},
                                   {caller::self_or_auditor, self_or_auditor}};
    };
    const auto none = rules(U, U, U, U, U, U, U);
    std::vector<reader> readers = {
        {"no session", "", none},
        {"member 2 (the subject)", w.bearer(w.k2, town, member_id{2}), rules(P, P, P, F, P, F, P)},
        {"member 3 (another)", w.bearer(w.k3, town, member_id{3}), rules(P, F, F, F, F, F, F)},
        {"member 4 (2's delegate)", w.bearer(w.k4, town, member_id{4}), rules(P, P, P, F, P, F, P)},
        {"member 1 (coordinator)", w.bearer(w.k1, town, member_id{1}), rules(P, P, P, P, P, P, P)},
        {"member 10 (community 8's coordinator)", w.bearer(w.k10, elsewhere, member_id{10}),
         rules(F, F, F, F, F, F, F)},
        // An auditor reads what proves the ledger, and no member's data.
        {"the auditor", w.bearer(w.ka, town, member_id{0}), rules(F, F, F, F, F, P, P)},
        {"the auditor, for community 8", w.bearer(w.ka, elsewhere, member_id{0}),
         rules(F, F, F, F, F, F, F)},
        {"an auditor whose appointment ended", w.bearer(w.kb, town, member_id{0}), none},
        {"a key never appointed, as an auditor", w.bearer(w.stranger, town, member_id{0}), none},
        {"a member's key, as an auditor", w.bearer(w.k1, town, member_id{0}), none},
        {"member 5 (suspended)", w.bearer(w.k5, town, member_id{5}), none},
        {"member 6 (revoked key)", w.bearer(w.k6, town, member_id{6}), none},
        {"member 2, expired", w.bearer(w.k2, town, member_id{2}, -1), none},
        {"member 2, 25 hours ahead", w.bearer(w.k2, town, member_id{2}, 25 * 3'600'000), none},
        {"member 2 named, signed by a stranger", w.bearer(w.stranger, town, member_id{2}), none},
        {"member 1 named with member 2's key", w.bearer(w.k2, town, member_id{1}), none},
        {"not a token", "Bearer hello", none},
    };
    // A forged one: member 2's token with its member changed to 1 (the coordinator).
    {
        auto raw = from_base64(w.bearer(w.k2, town, member_id{2}).substr(7));
        BOOST_REQUIRE(raw.ok());
        (*raw)[15] = 1;
        readers.push_back(
            {"member 2's token, member changed to 1", "Bearer " + to_base64(*raw), none});
    }

    std::size_t checked = 0;
    for (const auto& row : w.api->rows()) {
        const std::string method = row.method == http_method::post ? "POST" : "GET";
        const std::string target = path_of(row.pattern, w);
        for (const auto& who : readers) {
            const auto a = w.ask(method, target, who.authorization);
            E want = P;
            if (row.who == caller::node_operator)
                want = who.authorization.empty() ? U : F;  // not loopback, not the token
            else if (auto it = who.by_rule.find(row.who); it != who.by_rule.end())
                want = it->second;
            const bool refused401 = a.status == 401 && error_code_of(a) == "unauthenticated";
            const bool refused403 = a.status == 403 && error_code_of(a) == "forbidden";
            const bool ok = want == P   ? (a.status != 401 && a.status != 403)
                            : want == U ? refused401
                                        : refused403;
            BOOST_CHECK_MESSAGE(ok, method << " " << row.pattern << " as " << who.name << " (rule "
                                           << caller_name(row.who) << "): " << a.status << " "
                                           << a.body);
            ++checked;
        }
    }
    BOOST_CHECK_EQUAL(checked, w.api->rows().size() * readers.size());

    // What passes reaches the handler: the member reads their own balance, the delegate it too.
    for (const auto* key : {&w.k2, &w.k4}) {
        const member_id as{key == &w.k2 ? 2u : 4u};
        const auto a =
            w.ask("GET", "/v1/communities/7/members/2/balance", w.bearer(*key, town, as));
        BOOST_CHECK_MESSAGE(a.status == 200, a.body);
    }
}

BOOST_AUTO_TEST_CASE(a_refusal_never_tells_whether_the_member_or_claim_exists) {
    world w;
    const auto other = w.bearer(w.k3, town, member_id{3});
    const auto coordinator = w.bearer(w.k1, town, member_id{1});
    for (const std::string m : {"2", "42"}) {
        for (const std::string tail : {"balance", "history", "reputation", "certificate", "contact",
                                       "export", "stream", "delegations"}) {
            const auto a = w.ask("GET", "/v1/communities/7/members/" + m + "/" + tail, other);
            BOOST_CHECK_MESSAGE(a.status == 403 && error_code_of(a) == "forbidden",
                                m << "/" << tail << ": " << a.body);
        }
    }
    const auto absent_claim = "/v1/communities/7/claims/" + random_event_id().hex();
    const auto present_claim = "/v1/communities/7/claims/" + w.claim.hex();
    BOOST_CHECK_EQUAL(w.ask("GET", absent_claim, other).status, 403u);
    BOOST_CHECK_EQUAL(w.ask("GET", present_claim, other).status, 403u);
    // No session: 401 for a member that exists and one that does not, in a community that
    // exists and one that does not.
    for (const std::string path :
         {"/v1/communities/7/members/2/balance", "/v1/communities/7/members/42/balance",
          "/v1/communities/99/members/2/balance"}) {
        const auto refused = w.ask("GET", path, "");
        BOOST_CHECK_EQUAL(refused.status, 401u);
        BOOST_CHECK(refused.headers.size() == 1 && refused.headers[0].first == "WWW-Authenticate");
    }
    // The coordinator, who may read them, learns what is not there.
    auto a = w.ask("GET", "/v1/communities/7/members/42/balance", coordinator);
    BOOST_CHECK(a.status == 404 && error_code_of(a) == "unknown_member");
    a = w.ask("GET", absent_claim, coordinator);
    BOOST_CHECK(a.status == 404 && error_code_of(a) == "not_found");
}

BOOST_AUTO_TEST_CASE(revoking_a_key_or_suspending_a_member_ends_their_sessions_at_once) {
    world w;
    const auto three = w.bearer(w.k3, town, member_id{3});
    const auto four = w.bearer(w.k4, town, member_id{4});
    const std::string offers = "/v1/communities/7/offers";
    BOOST_REQUIRE_EQUAL(w.ask("GET", offers, three).status, 200u);
    BOOST_REQUIRE_EQUAL(w.ask("GET", offers, four).status, 200u);
    w.submit(w.k1, town, member_id{1}, key_revoked{member_id{3}, w.k3.public_bytes()});
    w.submit(w.k1, town, member_id{1}, member_suspended{member_id{4}, std::nullopt});
    BOOST_CHECK_EQUAL(w.ask("GET", offers, three).status, 401u);  // the cached token too
    BOOST_CHECK_EQUAL(w.ask("GET", offers, four).status, 401u);
    // Suspended, member 4 no longer reads for member 2 either.
    BOOST_CHECK_EQUAL(w.ask("GET", "/v1/communities/7/members/2/balance", four).status, 401u);
}

BOOST_AUTO_TEST_CASE(an_auditor_reads_the_export_and_certificates_but_never_a_members_notes) {
    world w;
    const auto auditor = w.bearer(w.ka, town, member_id{0});
    auto a = w.ask("GET", "/v1/communities/7/export", auditor);
    BOOST_CHECK_MESSAGE(a.status == 200, a.body);
    a = w.ask("GET", "/v1/communities/7/events/" + w.claim.hex(), auditor);
    BOOST_CHECK_MESSAGE(a.status == 200, a.body);
    // This world has no checkpoint: the certificate's handler answers no_checkpoint, past the
    // access check (tests/e2e has certificates with checkpoints).
    const auto past_access = [](const http_response& r) {
        return error_code_of(r) == "no_checkpoint";
    };
    a = w.ask("GET", "/v1/communities/7/members/2/certificate", auditor);
    BOOST_CHECK_MESSAGE(past_access(a), a.body);
    // Revealing a note is the member's choice, whatever the spelling of the parameter's value.
    for (const std::string value : {"true", "1", "TRUE", ""}) {
        a = w.ask("GET", "/v1/communities/7/members/2/certificate?reveal_notes=" + value, auditor);
        BOOST_CHECK_MESSAGE(a.status == 403 && error_code_of(a) == "forbidden",
                            value << ": " << a.body);
    }
    a = w.ask("GET", "/v1/communities/7/members/2/certificate?reveal_notes=false", auditor);
    BOOST_CHECK_MESSAGE(past_access(a), a.body);
    // No profile, contact details, member list or balance, for any member.
    for (const std::string& path : std::vector<std::string>{
             "/v1/communities/7/members", "/v1/communities/7/members/2/profile",
             "/v1/communities/7/members/2/contact", "/v1/communities/7/members/2/export",
             "/v1/communities/7/members/2/balance", "/v1/communities/7/offers",
             "/v1/communities/7/claims/" + w.claim.hex()}) {
        a = w.ask("GET", path, auditor);
        BOOST_CHECK_MESSAGE(a.status == 403 && error_code_of(a) == "forbidden",
                            path << ": " << a.body);
    }
    // Signing in says it is an auditor's session.
    const auto signed_in = w.api->handle(http_request{
        "POST", "/v1/session", "{\"token\":\"" + auditor.substr(7) + "\"}", "", "", ""});
    BOOST_REQUIRE_MESSAGE(signed_in.status == 200, signed_in.body);
    auto d = json_doc::parse(signed_in.body);
    BOOST_REQUIRE(d.ok());
    BOOST_CHECK(d->root().at("auditor") && d->root().at("auditor")->as_bool().value_or(false));
    BOOST_CHECK(d->root().at("member") && d->root().at("member")->as_number() == 0.0);
}

BOOST_AUTO_TEST_CASE(an_auditors_sessions_end_with_the_appointment) {
    world w;
    const auto auditor = w.bearer(w.ka, town, member_id{0});
    const std::string exported = "/v1/communities/7/export";
    BOOST_REQUIRE_EQUAL(w.ask("GET", exported, auditor).status, 200u);
    // The coordinator ends it: the cached session reads no more.
    w.submit(w.k1, town, member_id{1}, auditor_appointed{w.ka.public_bytes(), time_ms{0}});
    BOOST_CHECK_EQUAL(w.ask("GET", exported, auditor).status, 401u);
    // Appointed again until a minute from now: it reads until the node's clock reaches the end.
    w.submit(w.k1, town, member_id{1},
             auditor_appointed{w.ka.public_bytes(), time_ms{w.now.value + 60'000}});
    BOOST_CHECK_EQUAL(w.ask("GET", exported, auditor).status, 200u);
    w.now = time_ms{w.now.value + 60'000};
    BOOST_CHECK_EQUAL(w.ask("GET", exported, auditor).status, 401u);
}

// A session signed before its member left is replayed after: refused, as is a new one.
BOOST_AUTO_TEST_CASE(a_session_of_a_member_who_left_reads_no_more) {
    world w;
    const auto before = w.bearer(w.k3, town, member_id{3});
    const std::string offers = "/v1/communities/7/offers";
    BOOST_REQUIRE_EQUAL(w.ask("GET", offers, before).status, 200u);
    BOOST_REQUIRE_EQUAL(w.ask("GET", "/v1/communities/7/members/3/balance", before).status, 200u);
    w.submit(w.k3, town, member_id{3}, member_left{member_id{3}});
    for (const auto& token : {before, w.bearer(w.k3, town, member_id{3})}) {
        for (const std::string path :
             {"/v1/communities/7/offers", "/v1/communities/7/members/3/balance",
              "/v1/communities/7/members/3/export"}) {
            const auto a = w.ask("GET", path, token);
            BOOST_CHECK_MESSAGE(a.status == 401 && error_code_of(a) == "unauthenticated",
                                path << ": " << a.status << " " << a.body);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_delegate_reads_only_while_the_delegation_is_in_force) {
    world w;
    const auto nine = w.bearer(w.k9, town, member_id{9});
    const std::string balance = "/v1/communities/7/members/2/balance";
    BOOST_CHECK_EQUAL(w.ask("GET", balance, nine).status, 200u);
    w.now = time_ms{w.now.value + 60'000};  // the delegation ends now; the session does not
    BOOST_CHECK_EQUAL(w.ask("GET", balance, nine).status, 403u);
    BOOST_CHECK_EQUAL(w.ask("GET", "/v1/communities/7/offers", nine).status, 200u);
}

BOOST_AUTO_TEST_CASE(the_cookie_of_a_signed_in_browser_reads_like_the_header) {
    world w;
    const auto token = signed_token(w.k2, town, member_id{2}, time_ms{w.now.value + 600'000});
    auto in = w.api->handle(
        http_request{"POST", "/v1/session", "{\"token\": \"" + token + "\"}", "", "", ""});
    BOOST_REQUIRE_MESSAGE(in.status == 200, in.body);
    std::string cookie;
    for (const auto& [k, v] : in.headers)
        if (k == "Set-Cookie") cookie = v;
    BOOST_CHECK_EQUAL(
        cookie, "uurwerk_session=" + token + "; Path=/; Max-Age=600; HttpOnly; SameSite=Strict");
    const std::string balance = "/v1/communities/7/members/2/balance";
    BOOST_CHECK_EQUAL(w.ask("GET", balance, "", "", "lang=nl; uurwerk_session=" + token).status,
                      200u);
    BOOST_CHECK_EQUAL(w.ask("GET", balance, "", "", "uurwerk_session=" + token + "x").status, 401u);
    // Signing in is refused as a read would be: a revoked key gets no cookie.
    const auto six = signed_token(w.k6, town, member_id{6}, time_ms{w.now.value + 600'000});
    auto refused = w.api->handle(
        http_request{"POST", "/v1/session", "{\"token\": \"" + six + "\"}", "", "", ""});
    BOOST_CHECK_EQUAL(refused.status, 401u);
    for (const auto& [k, v] : refused.headers) BOOST_CHECK_NE(k, "Set-Cookie");
    auto out = w.api->handle(http_request{"POST", "/v1/session/end", "", "", "", ""});
    BOOST_CHECK_EQUAL(out.status, 200u);
    BOOST_CHECK(out.headers.size() == 1 &&
                out.headers[0].second.find("Max-Age=0") != std::string::npos);
}

// Over https (TLS here, or serve --secure-cookies behind a TLS proxy) the cookie is Secure too:
// a browser never sends it over plain HTTP.
BOOST_AUTO_TEST_CASE(the_cookie_is_secure_when_browsers_come_over_https) {
    world w;
    routes secure(*w.n, nullptr, nullptr,
                  access_options{[&w] { return w.now; }, operator_token, sessions_cached_max,
                                 access_checks::on, cookie_security::secure},
                  quota_options::unlimited());
    const auto token = signed_token(w.k2, town, member_id{2}, time_ms{w.now.value + 600'000});
    auto in = secure.handle(
        http_request{"POST", "/v1/session", "{\"token\": \"" + token + "\"}", "", "", ""});
    BOOST_REQUIRE_MESSAGE(in.status == 200, in.body);
    std::string cookie;
    for (const auto& [k, v] : in.headers)
        if (k == "Set-Cookie") cookie = v;
    BOOST_CHECK_EQUAL(cookie, "uurwerk_session=" + token +
                                  "; Path=/; Max-Age=600; HttpOnly; SameSite=Strict; Secure");
    auto out = secure.handle(http_request{"POST", "/v1/session/end", "", "", "", ""});
    BOOST_REQUIRE(out.headers.size() == 1u);
    BOOST_CHECK_EQUAL(out.headers[0].second,
                      "uurwerk_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict; Secure");
}

BOOST_AUTO_TEST_CASE(the_operators_routes_answer_loopback_or_the_operator_token) {
    world w;
    for (const std::string path : {"/metrics", "/v1/digest"}) {
        BOOST_CHECK_EQUAL(w.ask("GET", path, "", "127.0.0.1").status, 200u);
        BOOST_CHECK_EQUAL(w.ask("GET", path, "", "::1").status, 200u);
        BOOST_CHECK_EQUAL(w.ask("GET", path, "", "10.0.0.1").status, 401u);
        BOOST_CHECK_EQUAL(w.ask("GET", path, "", "").status, 401u);
        BOOST_CHECK_EQUAL(w.ask("GET", path, "Bearer " + operator_token, "10.0.0.1").status, 200u);
        BOOST_CHECK_EQUAL(w.ask("GET", path, "Bearer " + operator_token + "x", "10.0.0.1").status,
                          403u);
        // A coordinator's session is not the operator's.
        BOOST_CHECK_EQUAL(w.ask("GET", path, w.bearer(w.k1, town, member_id{1}), "10.0.0.1").status,
                          403u);
    }
}

BOOST_AUTO_TEST_CASE(a_tokens_signature_is_verified_once) {
    world w;
    const auto two = w.bearer(w.k2, town, member_id{2});
    const auto before = w.api->access().sessions().verifications();
    for (int i = 0; i < 5; ++i)
        BOOST_CHECK_EQUAL(w.ask("GET", "/v1/communities/7/members/2/balance", two).status, 200u);
    BOOST_CHECK_EQUAL(w.api->access().sessions().verifications(), before + 1);
    // A cached token still expires.
    w.now = time_ms{w.now.value + 3'600'000};
    BOOST_CHECK_EQUAL(w.ask("GET", "/v1/communities/7/members/2/balance", two).status, 401u);
}

// The match-partner rule (GET .../members/{m}/contact), for member 2's data as read by member 3:
// from acceptance until the policy's contact window (30 days by default) after the match ended.
BOOST_AUTO_TEST_CASE(the_other_person_of_an_accepted_match_and_nobody_else_passes_that_rule) {
    world w;
    const auto node_key = key_filled_with(100);
    const auto offer =
        w.submit(w.k3, town, member_id{3},
                 offer_posted{{category::shopping, std::nullopt, intensity::once, "3512", 0}});
    w.submit(w.k1, town, member_id{1}, node_key_announced{node_key.public_bytes()});
    const auto match = w.submit(node_key, town, community_fund,
                                match_proposed{w.request, offer, member_id{3}, 1, 0, 1, 0});
    const auto asks = [&](const signing_key& key, member_id as) {
        const http_request request{"GET", "/p", "", w.bearer(key, town, as), "", "203.0.113.9"};
        const target_parts target{{"p"}, {}};
        route_args args;
        args.community = town;
        args.member = member_id{2};
        auto refused = w.api->access().check(caller::match_partner, {request, target, args});
        return refused ? refused->status : 200u;
    };
    const auto contact = [&](const signing_key& key, member_id as) {
        return w.ask("GET", "/v1/communities/7/members/2/contact", w.bearer(key, town, as)).status;
    };
    BOOST_CHECK_EQUAL(asks(w.k3, member_id{3}), 403u);  // proposed, not accepted
    BOOST_CHECK_EQUAL(contact(w.k3, member_id{3}), 403u);
    BOOST_CHECK_EQUAL(asks(w.k2, member_id{2}), 200u);  // the member
    BOOST_CHECK_EQUAL(asks(w.k4, member_id{4}), 200u);  // their delegate
    BOOST_CHECK_EQUAL(asks(w.k1, member_id{1}), 200u);  // a coordinator
    w.submit(w.k2, town, member_id{2}, match_accepted{match});
    BOOST_CHECK_EQUAL(asks(w.k3, member_id{3}), 200u);  // now the other person of the match
    BOOST_CHECK_EQUAL(contact(w.k3, member_id{3}), 200u);
    BOOST_CHECK_EQUAL(asks(w.k9, member_id{9}), 200u);       // 2's delegate, still in force
    BOOST_CHECK_EQUAL(asks(w.k5, member_id{5}), 401u);       // suspended: no session at all
    w.submit(w.k3, town, member_id{3}, match_ended{match});  // at the log's clock, w.now
    BOOST_CHECK_EQUAL(asks(w.k3, member_id{3}), 200u);       // ended: the window runs
    const std::int64_t thirty_days = 30LL * 24 * 3'600'000;
    w.now = time_ms{w.now.value + thirty_days - 1};
    BOOST_CHECK_EQUAL(asks(w.k3, member_id{3}), 200u);  // the window's last millisecond
    w.now = time_ms{w.now.value + 1};
    BOOST_CHECK_EQUAL(asks(w.k3, member_id{3}), 403u);  // and no more
    BOOST_CHECK_EQUAL(contact(w.k3, member_id{3}), 403u);
    BOOST_CHECK_EQUAL(asks(w.k2, member_id{2}), 200u);  // the member always
}

// Member 2's profile: every member sees the display name; only whom the contact rule lets see
// the phone, e-mail, languages and "about"; and the export holds it all, for member 2 alone.
BOOST_AUTO_TEST_CASE(a_profile_shows_its_name_to_members_and_its_contact_details_to_few) {
    world w;
    const auto doc = commit_fresh(
        "name=Eva de Vries\nphone=+31 6 1234 5678\nemail=eva@example.nl\nlanguages=nl,fy\n"
        "about=Ik wandel graag\n");
    w.submit(w.k2, town, member_id{2}, profile_updated{member_id{2}, doc.commitment}, doc.personal);
    const auto three = w.bearer(w.k3, town, member_id{3});
    const auto two = w.bearer(w.k2, town, member_id{2});
    auto a = w.ask("GET", "/v1/communities/7/members/2/profile", three);
    BOOST_REQUIRE_MESSAGE(a.status == 200, a.body);
    BOOST_CHECK(a.body.find("\"display_name\":\"Eva de Vries\"") != std::string::npos);
    for (const std::string secret : {"1234", "eva@", "wandel", "fy"})
        BOOST_CHECK_MESSAGE(a.body.find(secret) == std::string::npos, a.body);
    a = w.ask("GET", "/v1/communities/7/members", three);
    BOOST_CHECK(a.body.find("\"display_name\":\"Eva de Vries\"") != std::string::npos);
    BOOST_CHECK(a.body.find("1234") == std::string::npos);
    BOOST_CHECK_EQUAL(w.ask("GET", "/v1/communities/7/members/2/contact", three).status, 403u);
    BOOST_CHECK_EQUAL(w.ask("GET", "/v1/communities/7/members/2/export", three).status, 403u);
    for (const auto& reader :
         {two, w.bearer(w.k4, town, member_id{4}), w.bearer(w.k1, town, member_id{1})}) {
        a = w.ask("GET", "/v1/communities/7/members/2/contact", reader);
        BOOST_REQUIRE_MESSAGE(a.status == 200, a.body);
        BOOST_CHECK(a.body.find("\"phone\":\"+31 6 1234 5678\"") != std::string::npos);
        BOOST_CHECK(a.body.find("\"languages\":[\"nl\",\"fy\"]") != std::string::npos);
    }
    // Member 3 may not write member 2's profile; a coordinator may; a delegate only with a
    // delegation of profileUpdated (member 4 holds one for requestPosted only).
    const auto other = commit_fresh("name=Niet Eva\n");
    for (auto [key, as] : {std::pair{&w.k3, 3u}, {&w.k4, 4u}}) {
        const auto id = random_event_id();
        auto e = key->seal(event_body{id, town, member_id{as}, sequence{++w.seq[as]}, w.now,
                                      as == 4u ? std::optional(member_id{2}) : std::nullopt,
                                      profile_updated{member_id{2}, other.commitment}});
        auto r = w.api->handle(
            http_request{"POST", "/v1/events", envelope_json(e, other.personal), "", "", ""});
        BOOST_CHECK_MESSAGE(r.body.find("\"verdict\":\"rejected\"") != std::string::npos, r.body);
    }
    a = w.ask("GET", "/v1/communities/7/members/2/profile", three);
    BOOST_CHECK(a.body.find("Eva de Vries") != std::string::npos);  // unchanged
    // The export: everything about member 2, for member 2.
    a = w.ask("GET", "/v1/communities/7/members/2/export", two);
    BOOST_REQUIRE_MESSAGE(a.status == 200, a.body);
    auto d = json_doc::parse(a.body);
    BOOST_REQUIRE(d.ok());
    BOOST_CHECK(d->root().at("profile")->at("email")->as_string() == "eva@example.nl");
    BOOST_CHECK_EQUAL(d->root().at("posts")->as_array()->size(), 1u);
    BOOST_CHECK_EQUAL(d->root().at("claims")->as_array()->size(), 1u);
    BOOST_CHECK_EQUAL(d->root().at("delegations")->as_array()->size(), 2u);
    BOOST_CHECK(d->root().at("history")->as_array()->size() >= 5u);
    BOOST_CHECK(d->root().at("reputation")->at("member") != nullptr);
}

BOOST_AUTO_TEST_CASE(the_session_cache_stays_within_its_bound) {
    session_cache cache(4);
    const auto key = key_filled_with(2);
    const time_ms now{1'700'000'000'000};
    std::vector<std::string> tokens;
    for (int i = 0; i < 10; ++i)
        tokens.push_back(signed_token(key, town, member_id{2}, time_ms{now.value + 1000}));
    for (const auto& t : tokens) BOOST_CHECK(cache.check(t, now).ok());
    BOOST_CHECK_EQUAL(cache.verifications(), 10u);
    BOOST_CHECK(cache.check(tokens.back(), now).ok());  // still held
    BOOST_CHECK_EQUAL(cache.verifications(), 10u);
    BOOST_CHECK(cache.check(tokens.front(), now).ok());  // dropped long ago: verified again
    BOOST_CHECK_EQUAL(cache.verifications(), 11u);
}

BOOST_AUTO_TEST_SUITE_END()
