// Hour certificates against a node that lies: it signs verdict roots that call every event
// accepted, events the ledger would have refused among them. A certificate's own binding chain,
// checked at each event's leaf and committed log time, still refuses a key used after a listed
// revocation and a delegation used after its expiry or its revocation; a revocation left out
// of the certificate is not seen (ledger/FORMAT.md says so). As the rules: a proxy delegation is
// its keyless member's, and a coordinator neither acts for a member nor confirms in their own
// name a claim made to someone else. Both verifiers: the C++ one
// (ledger/core/certificate.h) and tests/e2e/verify_certificate.py, on the JSON form
// (api/node/certificates.h).
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <map>

#include "api/node/certificates.h"
#include "tests/support/certificate_log.h"
#include "tests/support/run_command.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_keys.h"

using namespace uurwerk;
using uurwerk::testing::lying_log;

namespace {

struct verdicts_of_both {
    certificate_report here;
    uurwerk::testing::command_result python;
};

verdicts_of_both verify_both(const lying_log& log, const hour_certificate& h) {
    static int n = 0;
    uurwerk::testing::temp_dir dir("certificate");
    const auto file = (dir.path / ("c" + std::to_string(++n) + ".json")).string();
    std::ofstream(file) << certificate_to_json(h);
    return {verify_certificate(h, {log.node.public_bytes()}),
            uurwerk::testing::run_command({"/usr/bin/python3",
                                           UURWERK_SOURCE_DIR "/tests/e2e/verify_certificate.py",
                                           file, "--trust", log.node.public_bytes().hex()})};
}

void refused_by_both(const lying_log& log, const hour_certificate& h, const std::string& why) {
    const auto r = verify_both(log, h);
    BOOST_CHECK_MESSAGE(!r.here.ok && r.here.problem.find(why) != std::string::npos,
                        "C++: " + (r.here.ok ? "OK" : r.here.problem));
    BOOST_CHECK_MESSAGE(r.python.exit_code == 1 && r.python.out.find(why) != std::string::npos,
                        "Python: " + r.python.out);
}

void accepted_by_both(const lying_log& log, const hour_certificate& h, minutes total) {
    const auto r = verify_both(log, h);
    BOOST_CHECK_MESSAGE(r.here.ok, r.here.problem);
    BOOST_CHECK_EQUAL(r.here.total.value, total.value);
    BOOST_CHECK_MESSAGE(r.python.exit_code == 0, r.python.out);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_certificate_checks_keys_and_delegations_at_each_events_leaf_and_time) {
    using uurwerk::testing::key_filled_with;
    lying_log log;
    const auto anna = key_filled_with(1), cor = key_filled_with(2), bep = key_filled_with(3),
               daan = key_filled_with(4), cor2 = key_filled_with(5);
    const member_id m1{1}, m2{2}, m3{3}, m4{4};
    auto claim = [&](const signing_key& k, member_id from, std::int64_t minutes, time_ms at) {
        return log.add(
            k, m2, hours_claimed{from, uurwerk::minutes{minutes}, std::nullopt, std::nullopt}, at);
    };
    auto confirm = [&](const signing_key& k, member_id author, std::uint64_t claim_leaf, time_ms at,
                       std::optional<member_id> for_whom = std::nullopt) {
        return log.add(k, author, hours_confirmed{log.ids[claim_leaf]}, at, for_whom);
    };
    const auto founded = log.add(anna, m1, community_founded{"Buurtkring", policy{}}, time_ms{1});
    std::vector<std::uint64_t> admitted;
    for (auto [m, k] : {std::pair{m2, &cor}, {m3, &bep}, {m4, &daan}})
        admitted.push_back(log.add(anna, m1, member_admitted{m, k->public_bytes()}, time_ms{2}));
    std::vector<std::uint64_t> base{founded, admitted[0], admitted[1], admitted[2]};
    // Bep lets Daan confirm for her until log time 1000.
    const auto grant =
        log.add(bep, m3, delegation_granted{m4, {event_kind::hours_confirmed}, time_ms{1000}},
                time_ms{100});
    base.push_back(grant);

    // A sound claim: accepted by both.
    const auto c1 = claim(cor, m1, 60, time_ms{200});
    const auto f1 = confirm(anna, m1, c1, time_ms{300});
    accepted_by_both(log, log.certificate(m2, base, {{c1, f1}}, minutes{60}), minutes{60});
    // Its confirmation logged outside the certificate's period.
    auto late = log.certificate(m2, base, {{c1, f1}}, minutes{60});
    late.from = time_ms{301};
    refused_by_both(log, late, "outside the certificate's period");

    // Cor revokes his key, then signs a claim with it anyway.
    const auto revoked = log.add(cor, m2, key_revoked{m2, cor.public_bytes()}, time_ms{400});
    const auto c2 = claim(cor, m3, 30, time_ms{500});
    const auto f2 = confirm(daan, m4, c2, time_ms{600}, m3);
    auto with_revocation = base;
    with_revocation.push_back(revoked);
    refused_by_both(log, log.certificate(m2, with_revocation, {{c2, f2}}, minutes{30}),
                    "not bound to member 2 at that leaf");
    // Left out, the revocation is not seen: what a certificate cannot show (ledger/FORMAT.md).
    accepted_by_both(log, log.certificate(m2, base, {{c2, f2}}, minutes{30}), minutes{30});

    // A coordinator gives Cor a new key; Daan confirms for Bep after the delegation expired.
    const auto new_key = log.add(anna, m1, key_added{m2, cor2.public_bytes()}, time_ms{650});
    auto with_new_key = base;
    with_new_key.push_back(new_key);
    const auto c3 = claim(cor2, m3, 45, time_ms{700});
    const auto f3 = confirm(daan, m4, c3, time_ms{1500}, m3);
    refused_by_both(log, log.certificate(m2, with_new_key, {{c3, f3}}, minutes{45}),
                    "without a delegation for it then");
    // Before expiry it holds.
    const auto f3_early_claim = claim(cor2, m3, 20, time_ms{800});
    const auto f3_early = confirm(daan, m4, f3_early_claim, time_ms{900}, m3);
    accepted_by_both(log,
                     log.certificate(m2, with_new_key, {{f3_early_claim, f3_early}}, minutes{20}),
                     minutes{20});

    // Bep grants again without expiry, then revokes it; Daan confirms for her after that.
    const auto c4 = claim(cor2, m3, 15, time_ms{1600});
    const auto regrant = log.add(
        bep, m3, delegation_granted{m4, {event_kind::hours_confirmed}, time_ms{0}}, time_ms{1650});
    const auto ended = log.add(bep, m3, delegation_revoked{m4}, time_ms{1700});
    const auto f4 = confirm(daan, m4, c4, time_ms{1800}, m3);
    auto with_regrant = with_new_key;
    with_regrant.push_back(regrant);
    accepted_by_both(log, log.certificate(m2, with_regrant, {{c4, f4}}, minutes{15}), minutes{15});
    with_regrant.push_back(ended);
    refused_by_both(log, log.certificate(m2, with_regrant, {{c4, f4}}, minutes{15}),
                    "without a delegation for it then");
}

// A member with no key (no device) acts through a proxy a coordinator records for them: the
// delegation is the keyless member's (grantor), not the coordinator's, and ends when a
// coordinator ends the proxy.
BOOST_AUTO_TEST_CASE(a_proxy_delegation_belongs_to_its_keyless_member) {
    using uurwerk::testing::key_filled_with;
    lying_log log;
    const auto anna = key_filled_with(1), bep = key_filled_with(3), daan = key_filled_with(4);
    const member_id m1{1}, m3{3}, m4{4}, xavier{5};
    const auto founded = log.add(anna, m1, community_founded{"Buurtkring", policy{}}, time_ms{1});
    const auto bep_in = log.add(anna, m1, member_admitted{m3, bep.public_bytes()}, time_ms{2});
    const auto daan_in = log.add(anna, m1, member_admitted{m4, daan.public_bytes()}, time_ms{2});
    const auto xavier_in = log.add(anna, m1, member_admitted{xavier, std::nullopt}, time_ms{2});
    // Anna records that Daan claims and confirms for Xavier.
    const auto proxy = log.add(
        anna, m1,
        delegation_granted{
            m4, {event_kind::hours_claimed, event_kind::hours_confirmed}, time_ms{0}, xavier},
        time_ms{10});
    std::vector<std::uint64_t> bindings{founded, bep_in, daan_in, xavier_in, proxy};
    const auto c1 = log.add(daan, m4, hours_claimed{m3, minutes{60}, std::nullopt, std::nullopt},
                            time_ms{20}, xavier);
    const auto f1 = log.add(bep, m3, hours_confirmed{log.ids[c1]}, time_ms{30});
    accepted_by_both(log, log.certificate(xavier, bindings, {{c1, f1}}, minutes{60}), minutes{60});

    // Anna ends the proxy; what Daan signs for Xavier afterwards does not count.
    const auto ended = log.add(anna, m1, delegation_revoked{m4, xavier}, time_ms{40});
    const auto c2 = log.add(daan, m4, hours_claimed{m3, minutes{30}, std::nullopt, std::nullopt},
                            time_ms{50}, xavier);
    const auto f2 = log.add(bep, m3, hours_confirmed{log.ids[c2]}, time_ms{60});
    // (Left out, the end is not seen.)
    accepted_by_both(log, log.certificate(xavier, bindings, {{c2, f2}}, minutes{30}), minutes{30});
    bindings.push_back(ended);
    refused_by_both(log, log.certificate(xavier, bindings, {{c2, f2}}, minutes{30}),
                    "without a delegation for it then");
    // The first claim, before the end, still counts.
    accepted_by_both(log, log.certificate(xavier, bindings, {{c1, f1}}, minutes{60}), minutes{60});
}

// A coordinator has no power to act for a member or to confirm a claim not theirs (the rules:
// ledger/core/RULES.md); a coordinator admitted without a key, given one later, is a coordinator.
BOOST_AUTO_TEST_CASE(a_coordinator_neither_acts_for_a_member_nor_confirms_for_them) {
    using uurwerk::testing::key_filled_with;
    lying_log log;
    const auto anna = key_filled_with(1), cor = key_filled_with(2), bep = key_filled_with(3),
               cor2 = key_filled_with(5), fenna = key_filled_with(6), gijs = key_filled_with(7);
    const member_id m1{1}, m2{2}, m3{3}, m6{6}, m7{7};
    const auto founded = log.add(anna, m1, community_founded{"Buurtkring", policy{}}, time_ms{1});
    const auto cor_in = log.add(anna, m1, member_admitted{m2, cor.public_bytes()}, time_ms{2});
    const auto bep_in = log.add(anna, m1, member_admitted{m3, bep.public_bytes()}, time_ms{2});
    const std::vector<std::uint64_t> base{founded, cor_in, bep_in};

    // Anna claims hours for Cor without his delegation; Bep confirms.
    const auto c1 = log.add(anna, m1, hours_claimed{m3, minutes{60}, std::nullopt, std::nullopt},
                            time_ms{10}, m2);
    const auto f1 = log.add(bep, m3, hours_confirmed{log.ids[c1]}, time_ms{11});
    refused_by_both(log, log.certificate(m2, base, {{c1, f1}}, minutes{60}),
                    "without a delegation for it then");
    // Cor claims from Bep; Anna confirms it in her own name.
    const auto c2 =
        log.add(cor, m2, hours_claimed{m3, minutes{45}, std::nullopt, std::nullopt}, time_ms{12});
    const auto f2 = log.add(anna, m1, hours_confirmed{log.ids[c2]}, time_ms{13});
    refused_by_both(log, log.certificate(m2, base, {{c2, f2}}, minutes{45}), "not by the receiver");
    // Anna, for Bep, gives Cor a second key (a coordinator acting for someone has no
    // coordinator powers, and keys are never signed for another).
    const auto for_bep = log.add(anna, m1, key_added{m2, cor2.public_bytes()}, time_ms{14}, m3);
    const auto c3 =
        log.add(cor2, m2, hours_claimed{m3, minutes{15}, std::nullopt, std::nullopt}, time_ms{15});
    const auto f3 = log.add(bep, m3, hours_confirmed{log.ids[c3]}, time_ms{16});
    auto with_key = base;
    with_key.push_back(for_bep);
    refused_by_both(log, log.certificate(m2, with_key, {{c3, f3}}, minutes{15}),
                    "without a delegation for it then");

    // Fenna, a coordinator admitted without a key, is given one by Anna; she admits Gijs, whose
    // hours are certified.
    const auto fenna_in =
        log.add(anna, m1, member_admitted{m6, std::nullopt, role::coordinator}, time_ms{20});
    const auto fenna_key = log.add(anna, m1, key_added{m6, fenna.public_bytes()}, time_ms{21});
    const auto gijs_in = log.add(fenna, m6, member_admitted{m7, gijs.public_bytes()}, time_ms{22});
    const auto c4 =
        log.add(gijs, m7, hours_claimed{m3, minutes{90}, std::nullopt, std::nullopt}, time_ms{23});
    const auto f4 = log.add(bep, m3, hours_confirmed{log.ids[c4]}, time_ms{24});
    auto with_fenna = base;
    for (auto b : {fenna_in, fenna_key, gijs_in}) with_fenna.push_back(b);
    accepted_by_both(log, log.certificate(m7, with_fenna, {{c4, f4}}, minutes{90}), minutes{90});
    // A key a coordinator adds for a plain member makes no coordinator: Cor's new key admits
    // nobody.
    const auto cor3 = key_filled_with(8), hendrik = key_filled_with(9);
    const auto cor3_key = log.add(anna, m1, key_added{m2, cor3.public_bytes()}, time_ms{30});
    const auto hendrik_in =
        log.add(cor3, m2, member_admitted{member_id{9}, hendrik.public_bytes()}, time_ms{31});
    const auto c5 =
        log.add(hendrik, member_id{9}, hours_claimed{m3, minutes{10}, std::nullopt, std::nullopt},
                time_ms{32});
    const auto f5 = log.add(bep, m3, hours_confirmed{log.ids[c5]}, time_ms{33});
    auto with_cor3 = base;
    for (auto b : {cor3_key, hendrik_in}) with_cor3.push_back(b);
    refused_by_both(log, log.certificate(member_id{9}, with_cor3, {{c5, f5}}, minutes{10}),
                    "not signed by a coordinator");
}

// Selective disclosure on the JSON form, checked by both verifiers: notes the member revealed
// verify; a text swapped in, a salt changed, a note moved to another claim, and a text added to
// a claim that commits to none are each refused, naming the claim. A certificate of format 2
// (before notes) still verifies, and one of format 2 carrying a note is refused.
BOOST_AUTO_TEST_CASE(revealed_notes_are_checked_against_their_commitments_by_both_verifiers) {
    using uurwerk::testing::key_filled_with;
    lying_log log;
    const auto anna = key_filled_with(1), cor = key_filled_with(2), bep = key_filled_with(3);
    const member_id m1{1}, m2{2}, m3{3};
    const std::vector<std::uint64_t> bindings{
        log.add(anna, m1, community_founded{"Buurtkring", policy{}}, time_ms{1}),
        log.add(anna, m1, member_admitted{m2, cor.public_bytes()}, time_ms{2}),
        log.add(anna, m1, member_admitted{m3, bep.public_bytes()}, time_ms{2})};
    // Two claims with notes (one in other scripts than Latin: UTF-8 through JSON and back), one
    // without.
    const auto shopping = commit_fresh("Boodschappen voor mevrouw Jansen, Dorpsstraat 12");
    const auto lesson = commit_fresh("Uitleg over de telefoon — «очень хорошо», 谢谢 ✓");
    std::vector<std::pair<std::uint64_t, std::uint64_t>> claims;
    for (const auto& [minutes, note] : {std::pair{60, std::optional(shopping.commitment)},
                                        {30, std::optional(lesson.commitment)},
                                        {15, std::optional<digest>()}}) {
        const auto c = log.add(
            cor, m2, hours_claimed{m3, uurwerk::minutes{minutes}, std::nullopt, note}, time_ms{10});
        claims.emplace_back(c, log.add(bep, m3, hours_confirmed{log.ids[c]}, time_ms{20}));
    }
    const auto hidden = log.certificate(m2, bindings, claims, minutes{105});
    const auto hidden_json = certificate_to_json(hidden);
    BOOST_CHECK(hidden_json.find("\"note\"") == std::string::npos);
    BOOST_CHECK(hidden_json.find("uurwerk-hour-certificate/3") != std::string::npos);
    accepted_by_both(log, hidden, minutes{105});

    auto revealed = hidden;
    revealed.claims[0].note = shopping.personal;
    revealed.claims[1].note = lesson.personal;
    // The JSON form carries them and reads back the same.
    auto again = certificate_from_json(certificate_to_json(revealed));
    BOOST_REQUIRE_MESSAGE(again.ok(), (again.ok() ? std::string() : again.err().message));
    BOOST_CHECK(again->claims[0].note == shopping.personal);
    BOOST_CHECK(again->claims[1].note == lesson.personal);
    BOOST_CHECK(!again->claims[2].note);
    accepted_by_both(log, revealed, minutes{105});
    const auto shown = verify_both(log, revealed);
    BOOST_CHECK_MESSAGE(shown.python.out.find("claim 1's note (revealed, matches its commitment): "
                                              "Uitleg over de telefoon") != std::string::npos,
                        shown.python.out);

    auto swapped = revealed;
    swapped.claims[0].note->text = "Boodschappen voor mevrouw Jansen, Dorpsstraat 14";
    refused_by_both(log, swapped, "claim 0: its revealed note (salt and text) does not match");
    auto salted = revealed;
    salted.claims[1].note->salt.b[15] ^= 0x80;
    refused_by_both(log, salted, "claim 1: its revealed note (salt and text) does not match");
    auto moved = hidden;
    moved.claims[1].note = shopping.personal;
    refused_by_both(log, moved, "claim 1: its revealed note (salt and text) does not match");
    auto added = revealed;
    added.claims[2].note = commit_fresh("Vier uur in plaats van een kwartier").personal;
    refused_by_both(log, added, "claim 2: a note is revealed beside it, but the claim commits");

    // A NUL in a text, or one character past the bound: never accepted beside an event, so
    // refused by both even though it gives the commitment (the node here lies).
    for (const auto& text : {std::string("Tuin\0", 5), std::string(text_chars_max + 1, 'x')}) {
        const auto odd = commit_fresh(text);
        const auto c = log.add(cor, m2, hours_claimed{m3, minutes{5}, std::nullopt, odd.commitment},
                               time_ms{30});
        const auto f = log.add(bep, m3, hours_confirmed{log.ids[c]}, time_ms{40});
        auto h = log.certificate(m2, bindings, {{c, f}}, minutes{5});
        accepted_by_both(log, h, minutes{5});
        h.claims[0].note = odd.personal;
        refused_by_both(log, h, "claim 0: its revealed note is not 1 to 600 characters");
    }

    // Format 2 (before notes): still verified without notes, refused with one.
    auto old_form = [](std::string json) {
        json.replace(json.find("uurwerk-hour-certificate/3"), 26, "uurwerk-hour-certificate/2");
        return json;
    };
    uurwerk::testing::temp_dir dir("certificate-format");
    const auto trust = log.node.public_bytes().hex();
    auto python = [&](const std::string& name, const std::string& json) {
        const auto file = (dir.path / name).string();
        std::ofstream(file) << json;
        return uurwerk::testing::run_command({"/usr/bin/python3",
                                              UURWERK_SOURCE_DIR "/tests/e2e/verify_certificate.py",
                                              file, "--trust", trust});
    };
    auto v2 = certificate_from_json(old_form(hidden_json));
    BOOST_REQUIRE_MESSAGE(v2.ok(), (v2.ok() ? std::string() : v2.err().message));
    BOOST_CHECK(verify_certificate(*v2, {log.node.public_bytes()}).ok);
    const auto v2_py = python("v2.json", old_form(hidden_json));
    BOOST_CHECK_MESSAGE(v2_py.exit_code == 0, v2_py.out);
    const auto v2_note = old_form(certificate_to_json(revealed));
    auto v2_refused = certificate_from_json(v2_note);
    BOOST_REQUIRE(!v2_refused.ok());
    BOOST_CHECK_MESSAGE(
        v2_refused.err().message.find("claims[0]: a revealed note in a "
                                      "certificate of format "
                                      "uurwerk-hour-certificate/2") != std::string::npos,
        v2_refused.err().message);
    const auto v2_note_py = python("v2-note.json", v2_note);
    BOOST_CHECK_EQUAL(v2_note_py.exit_code, 1);
    BOOST_CHECK_MESSAGE(v2_note_py.out.find("a revealed note in a certificate of format "
                                            "uurwerk-hour-certificate/2") != std::string::npos,
                        v2_note_py.out);
}
