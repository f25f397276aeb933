// Hour certificates (ledger/core/certificate.h) through verify_certificate() alone, on logs built
// by hand (tests/support/certificate_log.h): a sound certificate verifies and reports what it
// proves; every changed byte of a listed event or of the checkpoint, a changed proof or verdict
// leaf, a dropped proof, binding or claim, a claim listed twice (at one leaf or at two), a claim
// the ledger did not accept, and a checkpoint that is not the one trusted are each refused,
// saying where. Revealed notes (selective disclosure) verify only when they give the commitment
// their own claim signs: a swapped text, a changed salt, a note moved to another claim or added
// to a claim without one, an empty or unbounded text are forgeries. The binding chain's finer rules
// (revocations, delegations, proxies) are in tests/api/node/certificate_test.cpp.
#include <boost/test/unit_test.hpp>

#include <string>

#include "ledger/core/certificate.h"
#include "tests/support/certificate_log.h"
#include "tests/support/test_keys.h"

using namespace uurwerk;
using uurwerk::testing::key_filled_with;
using uurwerk::testing::lying_log;

namespace {

constexpr member_id anna{1}, cor{2}, bep{3};

// Anna founds the community and admits Cor and Bep; Cor claims 60 and 30 minutes from Bep, and
// Bep confirms both.
struct sound_log {
    lying_log log;
    signing_key anna_key = key_filled_with(1), cor_key = key_filled_with(2),
                bep_key = key_filled_with(3);
    std::vector<std::uint64_t> bindings;
    std::uint64_t c1 = 0, f1 = 0, c2 = 0, f2 = 0;

    sound_log() {
        bindings.push_back(
            log.add(anna_key, anna, community_founded{"Buurtkring", policy{}}, time_ms{1}));
        bindings.push_back(
            log.add(anna_key, anna, member_admitted{cor, cor_key.public_bytes()}, time_ms{2}));
        bindings.push_back(
            log.add(anna_key, anna, member_admitted{bep, bep_key.public_bytes()}, time_ms{3}));
        c1 = claim(60, time_ms{10});
        f1 = confirm(c1, time_ms{20});
        c2 = claim(30, time_ms{30});
        f2 = confirm(c2, time_ms{40});
    }
    std::uint64_t claim(std::int64_t m, time_ms at) {
        return log.add(cor_key, cor, hours_claimed{bep, minutes{m}, std::nullopt, std::nullopt},
                       at);
    }
    std::uint64_t confirm(std::uint64_t claim_leaf, time_ms at) {
        return log.add(bep_key, bep, hours_confirmed{log.ids[claim_leaf]}, at);
    }
    // Cor's certificate of both claims, 90 minutes.
    hour_certificate certificate() const {
        return log.certificate(cor, bindings, {{c1, f1}, {c2, f2}}, minutes{90});
    }
    certificate_report verify(const hour_certificate& h) const {
        return verify_certificate(h, {log.node.public_bytes()});
    }
};

// The certificate is refused, and its problem mentions `why`.
#define CHECK_REFUSED(report, why)                                                            \
    do {                                                                                      \
        const auto r_ = (report);                                                             \
        BOOST_CHECK_MESSAGE(!r_.ok, "accepted, expected: " << (why));                         \
        BOOST_CHECK_MESSAGE(r_.problem.find(why) != std::string::npos,                        \
                            "problem '" << r_.problem << "' does not say '" << (why) << "'"); \
    } while (0)

}  // namespace

BOOST_AUTO_TEST_SUITE(hour_certificate_verification)

BOOST_AUTO_TEST_CASE(a_sound_certificate_verifies_and_reports_what_it_proves) {
    sound_log s;
    const auto r = s.verify(s.certificate());
    BOOST_REQUIRE_MESSAGE(r.ok, r.problem);
    BOOST_CHECK(r.problem.empty());
    BOOST_CHECK_EQUAL(r.claims, 2u);
    BOOST_CHECK_EQUAL(r.total.value, 90);
    BOOST_CHECK_EQUAL(r.tree_size, s.log.leaves.size());
    BOOST_CHECK(r.root == merkle_root(s.log.leaves));
    BOOST_CHECK(r.verdict_root == merkle_root(s.log.verdicts));
    BOOST_CHECK(r.node == s.log.node.public_bytes());
    // A certificate of no claims proves zero minutes, and says so.
    const auto none = s.verify(s.log.certificate(cor, s.bindings, {}, minutes{0}));
    BOOST_CHECK_MESSAGE(none.ok, none.problem);
    BOOST_CHECK_EQUAL(none.claims, 0u);
}

BOOST_AUTO_TEST_CASE(the_stated_total_must_be_the_sum_of_the_claims) {
    sound_log s;
    auto h = s.certificate();
    h.stated_total = minutes{91};
    CHECK_REFUSED(s.verify(h), "states 91 minutes, its claims add up to 90");
}

BOOST_AUTO_TEST_CASE(every_changed_byte_of_a_claim_or_of_the_checkpoint_is_refused) {
    sound_log s;
    const auto sound = s.certificate();
    for (std::size_t i = 0; i < sound.claims[0].claim.envelope.size(); ++i) {
        auto h = sound;
        h.claims[0].claim.envelope[i] ^= 0x01;
        BOOST_TEST_CONTEXT("claim envelope byte " << i) {
            CHECK_REFUSED(s.verify(h), "claim 0 (leaf 3): its inclusion proof");
        }
    }
    for (std::size_t i = 0; i < sound.bindings[1].envelope.size(); ++i) {
        auto h = sound;
        h.bindings[1].envelope[i] ^= 0x80;
        BOOST_TEST_CONTEXT("binding envelope byte " << i) {
            CHECK_REFUSED(s.verify(h), "binding 1 (leaf 1): its inclusion proof");
        }
    }
    for (std::size_t i = 0; i < sound.checkpoint_envelope.size(); ++i) {
        auto h = sound;
        h.checkpoint_envelope[i] ^= 0x01;
        BOOST_TEST_CONTEXT("checkpoint byte " << i) {
            const auto r = s.verify(h);
            BOOST_CHECK(!r.ok);
            BOOST_CHECK_MESSAGE(r.problem.find("the checkpoint") == 0, r.problem);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_changed_proof_or_verdict_leaf_is_refused) {
    sound_log s;
    const auto sound = s.certificate();
    const std::string not_accepted = "claim 1's confirmation (leaf 6): not shown accepted";
    {
        auto h = sound;
        h.claims[0].claim.audit_path[0].b[0] ^= 1;
        CHECK_REFUSED(s.verify(h), "claim 0 (leaf 3): its inclusion proof");
    }
    {
        auto h = sound;
        h.claims[1].confirmation.verdict_path.back().b[31] ^= 1;
        CHECK_REFUSED(s.verify(h), not_accepted);
    }
    {
        // The log time, offset or leaf its verdict leaf commits to: each is part of the proof.
        auto h = sound;
        h.claims[1].confirmation.appended_at = time_ms{41};
        CHECK_REFUSED(s.verify(h), not_accepted);
        h = sound;
        h.claims[1].confirmation.at = offset{7};
        CHECK_REFUSED(s.verify(h), not_accepted);
        h = sound;
        h.claims[1].confirmation.leaf_index = 5;
        CHECK_REFUSED(s.verify(h), "its inclusion proof");
    }
    {
        // Moved into the period: the log time the verdict leaf commits to decides, not the
        // certificate's word.
        auto h = sound;
        h.from = time_ms{25};
        CHECK_REFUSED(s.verify(h), "claim 0's confirmation was logged at 20 ms");
        h.claims[0].confirmation.appended_at = time_ms{25};
        CHECK_REFUSED(s.verify(h), "claim 0's confirmation (leaf 4): not shown accepted");
    }
}

BOOST_AUTO_TEST_CASE(the_period_is_from_inclusive_to_exclusive) {
    sound_log s;
    auto h = s.certificate();
    h.from = time_ms{20};  // claim 0's confirmation
    h.to = time_ms{41};    // claim 1's, plus one
    BOOST_CHECK_MESSAGE(s.verify(h).ok, s.verify(h).problem);
    h.to = time_ms{40};
    CHECK_REFUSED(s.verify(h), "claim 1's confirmation was logged at 40 ms");
    h.to = time_ms{41};
    h.from = time_ms{21};
    CHECK_REFUSED(s.verify(h), "claim 0's confirmation was logged at 20 ms");
}

BOOST_AUTO_TEST_CASE(a_dropped_proof_binding_or_claim_is_refused) {
    sound_log s;
    const auto sound = s.certificate();
    {
        auto h = sound;
        h.claims[0].claim.audit_path.pop_back();
        CHECK_REFUSED(s.verify(h), "claim 0 (leaf 3): its inclusion proof");
    }
    {
        auto h = sound;
        h.claims[0].confirmation.verdict_path.clear();
        CHECK_REFUSED(s.verify(h), "claim 0's confirmation (leaf 4): not shown accepted");
    }
    {
        // Without Cor's admission his key is bound to nobody.
        auto h = sound;
        h.bindings.erase(h.bindings.begin() + 1);
        CHECK_REFUSED(s.verify(h), "claim 0 (leaf 3): signed by a key not bound to member 2");
    }
    {
        // Without the founding, Anna's admissions are signed by a key bound to nobody.
        auto h = sound;
        h.bindings.erase(h.bindings.begin());
        CHECK_REFUSED(s.verify(h), "(leaf 1): signed by a key not bound to member 1");
    }
    {
        // A claim left out while the total still counts it.
        auto h = sound;
        h.claims.pop_back();
        CHECK_REFUSED(s.verify(h), "states 90 minutes, its claims add up to 60");
    }
    {
        // No checkpoint at all.
        auto h = sound;
        h.checkpoint_envelope.clear();
        CHECK_REFUSED(s.verify(h), "the checkpoint does not decode");
    }
}

BOOST_AUTO_TEST_CASE(a_claim_listed_twice_is_refused_at_one_leaf_or_two) {
    sound_log s;
    {
        const auto h =
            s.log.certificate(cor, s.bindings, {{s.c1, s.f1}, {s.c1, s.f1}}, minutes{120});
        CHECK_REFUSED(s.verify(h), "claim 1 (leaf 3): the certificate lists that leaf twice");
    }
    {
        // A binding listed again as a claim's confirmation: one leaf, counted once.
        const auto h = s.log.certificate(cor, s.bindings, {{s.c1, s.f1}, {s.c2, 2}}, minutes{90});
        CHECK_REFUSED(s.verify(h), "lists that leaf twice");
    }
    {
        // The same events logged again (a repeat the node marked accepted): another leaf, the
        // same event ids.
        auto again = [&](std::uint64_t leaf, time_ms at) {
            const std::uint64_t i = s.log.envelopes.size();
            s.log.envelopes.push_back(s.log.envelopes[leaf]);
            s.log.ids.push_back(s.log.ids[leaf]);
            s.log.times.push_back(at);
            s.log.leaves.push_back(merkle_leaf_hash(s.log.envelopes.back()));
            s.log.verdicts.push_back(verdict_leaf_hash(i, reject_reason::none, offset{i}, at));
            return i;
        };
        const auto c1_again = again(s.c1, time_ms{50});
        const auto f1_again = again(s.f1, time_ms{60});
        const auto h =
            s.log.certificate(cor, s.bindings, {{s.c1, s.f1}, {c1_again, f1_again}}, minutes{120});
        CHECK_REFUSED(s.verify(h), "claim 1 (leaf 7): the event " + s.log.ids[s.c1].hex() +
                                       " is listed twice in the certificate");
        // Either copy alone is one claim.
        BOOST_CHECK(
            s.verify(s.log.certificate(cor, s.bindings, {{c1_again, f1_again}}, minutes{60})).ok);
    }
}

BOOST_AUTO_TEST_CASE(a_claim_the_ledger_rejected_proves_nothing) {
    sound_log s;
    const auto refused =
        s.log.add(s.cor_key, cor, hours_claimed{bep, minutes{600}, std::nullopt, std::nullopt},
                  time_ms{50}, std::nullopt, reject_reason::amount_over_policy);
    const auto confirmed = s.confirm(refused, time_ms{60});
    const auto h = s.log.certificate(cor, s.bindings, {{refused, confirmed}}, minutes{600});
    CHECK_REFUSED(s.verify(h), "claim 0 (leaf 7): not shown accepted");
}

BOOST_AUTO_TEST_CASE(claims_must_be_the_members_confirmed_by_their_receiver) {
    sound_log s;
    // Cor's claims in Bep's certificate.
    CHECK_REFUSED(s.verify(s.log.certificate(bep, s.bindings, {{s.c1, s.f1}}, minutes{60})),
                  "claim 0: claimed by member 2, not the certificate's");
    // A confirmation of another claim.
    CHECK_REFUSED(s.verify(s.log.certificate(cor, s.bindings, {{s.c1, s.f2}}, minutes{60})),
                  "claim 0's confirmation does not confirm that claim");
    // A binding in a claim's place.
    CHECK_REFUSED(s.verify(s.log.certificate(cor, s.bindings, {{s.f1, s.f2}}, minutes{60})),
                  "claim 0: not an hours claim");
    // A claim that names Cor himself as receiver, confirmed by Cor.
    const auto own = s.log.add(
        s.cor_key, cor, hours_claimed{cor, minutes{15}, std::nullopt, std::nullopt}, time_ms{50});
    const auto own_ok = s.log.add(s.cor_key, cor, hours_confirmed{s.log.ids[own]}, time_ms{60});
    CHECK_REFUSED(s.verify(s.log.certificate(cor, s.bindings, {{own, own_ok}}, minutes{15})),
                  "confirmed by its own claimant");
}

BOOST_AUTO_TEST_CASE(only_a_trusted_checkpoint_of_the_certificates_community_and_size_counts) {
    sound_log s;
    const auto sound = s.certificate();
    // Signed by a key the verifier does not trust.
    CHECK_REFUSED(verify_certificate(sound, {key_filled_with(0x78).public_bytes()}),
                  "which is not a trusted node key");
    CHECK_REFUSED(verify_certificate(sound, {}), "which is not a trusted node key");
    // Of another size than the certificate says.
    {
        auto h = sound;
        h.tree_size = sound.tree_size - 1;
        CHECK_REFUSED(s.verify(h), "the checkpoint is of 7 leaves, the certificate says 6");
    }
    // Of another community.
    {
        auto h = sound;
        h.community = community_id{8};
        CHECK_REFUSED(s.verify(h), "the checkpoint is of community 7");
    }
    // An event that is no checkpoint, signed by the node key.
    {
        auto h = sound;
        h.checkpoint_envelope = encode_envelope(s.log.node.seal(
            event_body{random_event_id(), s.log.town, member_id{0}, sequence{2}, time_ms{9},
                       std::nullopt, transfer{cor, minutes{5}, std::nullopt}}));
        CHECK_REFUSED(s.verify(h), "the checkpoint is not a checkpoint event");
    }
    // A checkpoint that signs no verdict root.
    {
        auto h = sound;
        h.checkpoint_envelope = encode_envelope(s.log.node.seal(event_body{
            random_event_id(), s.log.town, member_id{0}, sequence{2}, time_ms{9}, std::nullopt,
            checkpoint{sound.tree_size, merkle_root(s.log.leaves), time_ms{9}, std::nullopt}}));
        CHECK_REFUSED(s.verify(h), "the checkpoint signs no verdict root");
    }
    // A checkpoint of a smaller tree, the certificate's size following it: the proofs of the
    // leaves beyond it cannot lead to its root.
    {
        auto h = sound;
        std::vector<digest> fewer(s.log.leaves.begin(), s.log.leaves.end() - 1);
        std::vector<digest> fewer_verdicts(s.log.verdicts.begin(), s.log.verdicts.end() - 1);
        h.tree_size = fewer.size();
        h.checkpoint_envelope = encode_envelope(s.log.node.seal(
            checkpoint_body(s.log.town, sequence{2}, fewer.size(), merkle_root(fewer),
                            merkle_root(fewer_verdicts), time_ms{9}, s.log.node.public_bytes())));
        CHECK_REFUSED(s.verify(h), "its inclusion proof does not lead to the checkpoint's root");
    }
}

// Selective disclosure (certificate.h): Cor's claims carry note commitments; he may reveal the
// notes beside them. What he reveals must give the commitment the claim signs, claim by claim.
namespace {

struct noted_log : sound_log {
    committed_text shopping = commit_fresh("Boodschappen voor mevrouw Jansen");
    committed_text garden = commit_fresh("De heg geknipt aan de Dorpsstraat");
    std::uint64_t c3 = 0, f3 = 0, c4 = 0, f4 = 0;

    noted_log() {
        c3 = log.add(cor_key, cor,
                     hours_claimed{bep, minutes{45}, std::nullopt, shopping.commitment},
                     time_ms{50});
        f3 = confirm(c3, time_ms{60});
        c4 = log.add(cor_key, cor, hours_claimed{bep, minutes{15}, std::nullopt, garden.commitment},
                     time_ms{70});
        f4 = confirm(c4, time_ms{80});
    }
    // Claims 0 and 1 with notes, claim 2 (c1) without; 120 minutes; nothing revealed.
    hour_certificate with_notes() const {
        return log.certificate(cor, bindings, {{c3, f3}, {c4, f4}, {c1, f1}}, minutes{120});
    }
    hour_certificate both_revealed() const {
        auto h = with_notes();
        h.claims[0].note = shopping.personal;
        h.claims[1].note = garden.personal;
        return h;
    }
};

}  // namespace

BOOST_AUTO_TEST_CASE(notes_revealed_beside_their_claims_verify_and_are_reported) {
    noted_log s;
    // Nothing revealed: the certificate verifies on the commitments alone, and shows no text.
    const auto hidden = s.verify(s.with_notes());
    BOOST_REQUIRE_MESSAGE(hidden.ok, hidden.problem);
    BOOST_CHECK_EQUAL(hidden.total.value, 120);
    BOOST_CHECK(hidden.notes.empty());
    // Both revealed: each checked, and reported by its claim.
    const auto r = s.verify(s.both_revealed());
    BOOST_REQUIRE_MESSAGE(r.ok, r.problem);
    BOOST_CHECK_EQUAL(r.total.value, 120);
    BOOST_REQUIRE_EQUAL(r.notes.size(), 2u);
    BOOST_CHECK_EQUAL(r.notes[0].claim, 0u);
    BOOST_CHECK_EQUAL(r.notes[0].text, "Boodschappen voor mevrouw Jansen");
    BOOST_CHECK_EQUAL(r.notes[1].claim, 1u);
    BOOST_CHECK_EQUAL(r.notes[1].text, "De heg geknipt aan de Dorpsstraat");
    // One revealed, the other not: the member chooses claim by claim.
    auto one = s.with_notes();
    one.claims[1].note = s.garden.personal;
    const auto r1 = s.verify(one);
    BOOST_REQUIRE_MESSAGE(r1.ok, r1.problem);
    BOOST_REQUIRE_EQUAL(r1.notes.size(), 1u);
    BOOST_CHECK_EQUAL(r1.notes[0].claim, 1u);
}

BOOST_AUTO_TEST_CASE(a_revealed_note_that_is_not_the_committed_one_is_a_forgery) {
    noted_log s;
    const auto sound = s.both_revealed();
    {  // Another text swapped in, under the genuine salt.
        auto h = sound;
        h.claims[0].note->text = "Boodschappen voor mevrouw Jansen, 10 uur lang";
        CHECK_REFUSED(s.verify(h), "claim 0: its revealed note (salt and text) does not match");
    }
    {  // One character changed.
        auto h = sound;
        h.claims[1].note->text[0] = 'd';
        CHECK_REFUSED(s.verify(h), "claim 1: its revealed note (salt and text) does not match");
    }
    {  // The genuine text under a changed salt.
        for (std::size_t i = 0; i < personal_salt_bytes; ++i) {
            auto h = sound;
            h.claims[0].note->salt.b[i] ^= 0x01;
            BOOST_TEST_CONTEXT("salt byte " << i) {
                CHECK_REFUSED(s.verify(h), "claim 0: its revealed note (salt and text)");
            }
        }
    }
    {  // A genuine note moved to the other claim (which commits to its own note).
        auto h = sound;
        std::swap(h.claims[0].note, h.claims[1].note);
        CHECK_REFUSED(s.verify(h), "claim 0: its revealed note (salt and text) does not match");
        auto moved = s.with_notes();
        moved.claims[1].note = s.shopping.personal;
        CHECK_REFUSED(s.verify(moved), "claim 1: its revealed note (salt and text) does not match");
    }
    {  // A text added to a claim that commits to no note, whatever it is.
        auto h = sound;
        h.claims[2].note = s.shopping.personal;
        CHECK_REFUSED(s.verify(h), "claim 2: a note is revealed beside it, but the claim commits");
        auto plain = s.certificate();
        plain.claims[0].note = commit_fresh("Zes uur geholpen").personal;
        CHECK_REFUSED(s.verify(plain), "claim 0: a note is revealed beside it");
    }
    {  // An empty text.
        auto h = sound;
        h.claims[0].note->text.clear();
        CHECK_REFUSED(s.verify(h), "claim 0: its revealed note is not 1 to 600 characters");
    }
}

// A text past the bound, or not UTF-8, is refused even when it gives the commitment (a lying
// node accepted the claim): the node never accepts such a text beside an event.
BOOST_AUTO_TEST_CASE(a_revealed_note_out_of_bounds_is_refused_even_when_it_matches) {
    noted_log s;
    for (const auto& text :
         {std::string(text_chars_max + 1, 'x'), std::string("caf\xc3"), std::string("a\0b", 3)}) {
        const auto note = commit_fresh(text);
        const auto c =
            s.log.add(s.cor_key, cor, hours_claimed{bep, minutes{5}, std::nullopt, note.commitment},
                      time_ms{90});
        const auto f = s.confirm(c, time_ms{91});
        auto h = s.log.certificate(cor, s.bindings, {{c, f}}, minutes{5});
        BOOST_CHECK_MESSAGE(s.verify(h).ok, s.verify(h).problem);  // not revealed: it holds
        h.claims[0].note = note.personal;
        CHECK_REFUSED(s.verify(h), "claim 0: its revealed note is not 1 to 600 characters");
    }
}

BOOST_AUTO_TEST_SUITE_END()
