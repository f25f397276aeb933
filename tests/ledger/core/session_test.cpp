// Session statements (ledger/core/session.h), from the side of someone who would read what is
// not theirs: the bytes are exactly the documented layout (a known answer computed with Python's
// `cryptography`, as a client in another language computes it), and a token that is expired,
// too far ahead, forged, signed under another tag, cut short, not canonical base64, or naming
// community 0 is refused. Member 0 is an auditor's session: its form holds here, and whether its
// key is an appointed auditor's is the ledger state's to say (tests/api/http/access_test.cpp).

#include "ledger/core/session.h"

#include <boost/test/unit_test.hpp>

#include <array>
#include <string>

#include "tests/support/test_keys.h"

using namespace uurwerk;
using uurwerk::testing::key_filled_with;

namespace {

constexpr time_ms now{1'700'000'000'000};

session_statement statement_of(const signing_key& key) {
    session_statement s{
        community_id{7}, member_id{2}, key.public_bytes(), time_ms{now.value + 3'600'000}, {}};
    for (std::size_t i = 0; i < s.nonce.size(); ++i) s.nonce[i] = static_cast<std::uint8_t>(i);
    return s;
}

bool refused(const result<session_statement>& r) {
    return !r.ok() && r.err().code == errc::unauthenticated;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_statement_and_token_are_the_documented_bytes) {
    const auto key = key_filled_with(1);
    const auto s = statement_of(key);
    // struct.pack(">QQ32sQ16s", 7, 2, public_key, 1700003600000, bytes(range(16)))
    BOOST_CHECK_EQUAL(to_hex(session_statement_bytes_of(s)),
                      "00000000000000070000000000000002"
                      "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c"
                      "0000018bd01c5680"
                      "000102030405060708090a0b0c0d0e0f");
    // base64(statement + Ed25519(seed 01..01) over b"uurwerk/session/v1" + statement)
    const std::string token = sign_session(s, key);
    BOOST_CHECK_EQUAL(token,
                      "AAAAAAAAAAcAAAAAAAAAAoqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29cAAABi9AcVoAA"
                      "AQIDBAUGBwgJCgsMDQ4PLhtkgqJBWMl3NB1SKSo/Hast3cDudgngiyHgQPeRt61U6/HlOtr/X7JX"
                      "Qf+Aw8nZuuoyvwupKPWPawYsZaeeBg==");
    BOOST_CHECK_EQUAL(token.size(), session_token_chars);
    key_cache keys;
    auto checked = check_session_token(token, now, keys);
    BOOST_REQUIRE(checked.ok());
    BOOST_CHECK(*checked == s);
}

BOOST_AUTO_TEST_CASE(a_session_holds_only_within_its_window) {
    const auto key = key_filled_with(1);
    auto s = statement_of(key);
    key_cache keys;
    const auto token = sign_session(s, key);
    BOOST_CHECK(check_session_token(token, time_ms{s.expires_at.value - 1}, keys).ok());
    BOOST_CHECK(refused(check_session_token(token, s.expires_at, keys)));  // expired at T
    BOOST_CHECK(refused(check_session_token(token, time_ms{s.expires_at.value + 1}, keys)));
    // Ending more than a day ahead of the checker's clock: refused, though well signed.
    s.expires_at = time_ms{now.value + session_lifetime_ms_max + 1};
    BOOST_CHECK(refused(check_session_token(sign_session(s, key), now, keys)));
    s.expires_at = time_ms{now.value + session_lifetime_ms_max};
    BOOST_CHECK(check_session_token(sign_session(s, key), now, keys).ok());
}

BOOST_AUTO_TEST_CASE(a_forged_or_malformed_token_is_refused) {
    const auto key = key_filled_with(1);
    const auto other = key_filled_with(3);
    const auto s = statement_of(key);
    key_cache keys;
    auto raw = from_base64(sign_session(s, key));
    BOOST_REQUIRE(raw.ok());

    // Each byte changed, statement or signature: refused (a changed member or expiry included).
    for (std::size_t i = 0; i < raw->size(); i += 7) {
        auto changed = *raw;
        changed[i] ^= 0x01;
        auto r = check_session_token(to_base64(changed), now, keys);
        BOOST_CHECK_MESSAGE(refused(r), "byte " << i);
    }
    // Signed by another key than the one it names.
    auto forged = *raw;
    std::array<std::uint8_t, session_domain_tag.size() + session_statement_bytes> message{};
    for (std::size_t i = 0; i < message.size(); ++i)
        message[i] = i < session_domain_tag.size()
                         ? static_cast<std::uint8_t>(session_domain_tag[i])
                         : (*raw)[i - session_domain_tag.size()];
    const auto sig = other.sign_raw(message);
    std::copy(sig.b.begin(), sig.b.end(), forged.begin() + session_statement_bytes);
    BOOST_CHECK(refused(check_session_token(to_base64(forged), now, keys)));
    // The same key's signature under the event tag (an event signature cannot pass for one).
    auto event_tagged = *raw;
    const auto event_sig = key.sign_event_body(byte_view(raw->data(), session_statement_bytes));
    std::copy(event_sig.b.begin(), event_sig.b.end(),
              event_tagged.begin() + session_statement_bytes);
    BOOST_CHECK(refused(check_session_token(to_base64(event_tagged), now, keys)));
    // Cut short, too long, not base64, padding dropped.
    const auto token = to_base64(*raw);
    BOOST_CHECK(refused(check_session_token(token.substr(0, 180), now, keys)));
    BOOST_CHECK(refused(check_session_token(token + "AAAA", now, keys)));
    BOOST_CHECK(refused(check_session_token(std::string(session_token_chars, '*'), now, keys)));
    BOOST_CHECK(refused(check_session_token("", now, keys)));
    // Community 0, even well signed.
    auto no_community = s;
    no_community.community = community_id{0};
    BOOST_CHECK(refused(check_session_token(sign_session(no_community, key), now, keys)));
    // Member 0 (an auditor's session) holds as a token; only its signature makes it so.
    auto auditor = s;
    auditor.member = member_id{0};
    const auto auditor_token = sign_session(auditor, key);
    BOOST_CHECK(!refused(check_session_token(auditor_token, now, keys)));
    auto forged_auditor = auditor_token;
    forged_auditor[100] = forged_auditor[100] == 'A' ? 'B' : 'A';
    BOOST_CHECK(refused(check_session_token(forged_auditor, now, keys)));
}

BOOST_AUTO_TEST_CASE(two_statements_differ_by_their_nonce) {
    const auto key = key_filled_with(1);
    const auto a = new_session_statement(community_id{7}, member_id{2}, key.public_bytes(), now);
    const auto b = new_session_statement(community_id{7}, member_id{2}, key.public_bytes(), now);
    BOOST_CHECK(a.nonce != b.nonce);
}
