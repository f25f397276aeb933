// Personal data beside the log (ledger/core/personal.h): the commitment agrees with an
// independent computation (Python's hashlib), and check_personal refuses, from the side of a
// client that tries, every way a text and a body can disagree.
#include "ledger/core/personal.h"

#include <boost/test/unit_test.hpp>

#include "ledger/core/crypto.h"
#include "ledger/core/limits.h"

using namespace uurwerk;

namespace {

personal_salt counting_salt() {
    personal_salt s;
    for (std::size_t i = 0; i < s.b.size(); ++i) s.b[i] = static_cast<std::uint8_t>(i);
    return s;
}

event_body claim_with(text_commitment note) {
    event_body b;
    b.id = random_event_id();
    b.community = community_id{7};
    b.author = member_id{2};
    b.seq = sequence{1};
    b.payload = hours_claimed{member_id{3}, minutes{60}, std::nullopt, note};
    return b;
}

void refused(const result<void>& r, std::string_view mentions) {
    BOOST_REQUIRE_MESSAGE(!r.ok(), "accepted; wanted a refusal mentioning " << mentions);
    BOOST_CHECK_EQUAL(r.err().code, errc::personal_data_mismatch);
    BOOST_CHECK_MESSAGE(r.err().message.find(mentions) != std::string::npos, r.err().message);
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_commitment_is_what_an_independent_sha256_gives) {
    // python3: hashlib.sha256(b'uurwerk/personal/v1' + b'\0' + bytes(range(16)) +
    //                         'Wandeling met Jan, café'.encode()).hexdigest()
    BOOST_CHECK_EQUAL(commit_text(counting_salt(), "Wandeling met Jan, caf\xc3\xa9").hex(),
                      "e5d3c6bff386122c4266a2ada436fd1f757231ab4fa300b61d278f2fd6bfdf0d");
    BOOST_CHECK_EQUAL(commit_text(personal_salt{}, "").hex(),
                      "f5fad13ad50ba88f2c4818598beb07faddbcd487893515a3b998329c3449b47b");
}

BOOST_AUTO_TEST_CASE(fresh_salts_differ_so_one_text_gets_different_commitments) {
    const auto a = commit_fresh("ja");
    const auto b = commit_fresh("ja");
    BOOST_CHECK(a.personal.salt != b.personal.salt);
    BOOST_CHECK(a.commitment != b.commitment);
    BOOST_CHECK(a.commitment == commit_text(a.personal.salt, "ja"));
}

BOOST_AUTO_TEST_CASE(every_kind_with_a_text_names_its_commitment_and_no_other_kind_does) {
    digest d;
    d.b.fill(7);
    const std::vector<event_payload> with{member_suspended{member_id{3}, d},
                                          offer_posted{{category::other, d}},
                                          request_posted{{category::other, d}},
                                          post_hidden{event_id{}, d},
                                          hours_claimed{member_id{3}, minutes{1}, std::nullopt, d},
                                          hours_disputed{event_id{}, d},
                                          transfer{member_id{3}, minutes{1}, d},
                                          reversal{event_id{}, d},
                                          endorsement{member_id{3}, event_id{}, d}};
    for (const auto& p : with) {
        event_body b = claim_with(std::nullopt);
        b.payload = p;
        BOOST_CHECK_MESSAGE(text_commitment_of(b) == d, kind_name(b.kind()));
    }
    event_body confirmed = claim_with(std::nullopt);
    confirmed.payload = hours_confirmed{event_id{}};
    BOOST_CHECK(!text_commitment_of(confirmed));
    BOOST_CHECK(!text_commitment_of(claim_with(std::nullopt)));
}

BOOST_AUTO_TEST_CASE(a_text_that_matches_its_commitment_passes) {
    const auto t = commit_fresh("Boodschappen gedaan bij Mevr. de Vries");
    BOOST_CHECK(check_personal(claim_with(t.commitment), t.personal).ok());
    BOOST_CHECK(check_personal(claim_with(std::nullopt), std::nullopt).ok());
    // 600 characters of four bytes each are within the bound.
    std::string long_text;
    for (std::size_t i = 0; i < text_chars_max; ++i) long_text += "\xf0\x9f\x98\x80";
    const auto l = commit_fresh(long_text);
    BOOST_CHECK(check_personal(claim_with(l.commitment), l.personal).ok());
}

BOOST_AUTO_TEST_CASE(every_disagreement_between_text_and_body_is_refused) {
    const auto t = commit_fresh("06-12345678");
    refused(check_personal(claim_with(t.commitment), std::nullopt), "none was sent");
    refused(check_personal(claim_with(std::nullopt), t.personal), "commits to no text");
    auto other_text = t.personal;
    other_text.text = "06-12345679";
    refused(check_personal(claim_with(t.commitment), other_text), "do not match");
    auto other_salt = t.personal;
    other_salt.salt.b[15] ^= 0x80;
    refused(check_personal(claim_with(t.commitment), other_salt), "do not match");
    // Bounds: empty, 601 characters, not UTF-8; each committed to correctly, still refused.
    for (const std::string bad : {std::string(), std::string(text_chars_max + 1, 'x'),
                                  std::string("\xff\xfe"), std::string("a\0b", 3)}) {
        const auto c = commit_fresh(bad);
        refused(check_personal(claim_with(c.commitment), c.personal), "1 to 600 characters");
    }
}

BOOST_AUTO_TEST_CASE(the_members_concerned_are_the_actor_and_whom_the_event_names) {
    auto b = claim_with(std::nullopt);
    BOOST_CHECK((members_concerned(b) == std::vector<member_id>{member_id{2}, member_id{3}}));
    b.on_behalf_of = member_id{5};
    b.payload = transfer{member_id{0}, minutes{5}, std::nullopt};  // to the fund: no one named
    BOOST_CHECK((members_concerned(b) == std::vector<member_id>{member_id{5}}));
    b.payload = member_suspended{member_id{5}, std::nullopt};
    BOOST_CHECK((members_concerned(b) == std::vector<member_id>{member_id{5}}));
}
