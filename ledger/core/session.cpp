#include "ledger/core/session.h"

#include <algorithm>

namespace uurwerk {
namespace {

void put_u64(std::uint8_t* at, std::uint64_t v) {
    for (int i = 7; i >= 0; --i, v >>= 8) at[i] = static_cast<std::uint8_t>(v & 0xff);
}

std::uint64_t get_u64(const std::uint8_t* at) {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | at[i];
    return v;
}

error refused(std::string message) {
    return make_error(errc::unauthenticated, std::move(message));
}

// session_domain_tag ++ statement: the signed message.
std::array<std::uint8_t, session_domain_tag.size() + session_statement_bytes> signed_message(
    const std::array<std::uint8_t, session_statement_bytes>& statement) {
    std::array<std::uint8_t, session_domain_tag.size() + session_statement_bytes> m{};
    std::copy(session_domain_tag.begin(), session_domain_tag.end(), m.begin());
    std::copy(statement.begin(), statement.end(), m.begin() + session_domain_tag.size());
    return m;
}

}  // namespace

error bad_session_signature() {
    return refused("the session's signature does not verify with the key it names");
}

std::array<std::uint8_t, session_statement_bytes> session_statement_bytes_of(
    const session_statement& s) {
    std::array<std::uint8_t, session_statement_bytes> out{};
    std::uint8_t* at = out.data();
    put_u64(at, s.community.value);
    put_u64(at + 8, s.member.value);
    std::copy(s.key.b.begin(), s.key.b.end(), at + 16);
    put_u64(at + 16 + public_key_bytes, static_cast<std::uint64_t>(s.expires_at.value));
    std::copy(s.nonce.begin(), s.nonce.end(), at + 24 + public_key_bytes);
    return out;
}

std::string sign_session(const session_statement& s, const signing_key& key) {
    UURWERK_ASSERT(key.public_bytes() == s.key, key.public_bytes().hex(), s.key.hex());
    const auto statement = session_statement_bytes_of(s);
    const auto sig = key.sign_raw(signed_message(statement));
    bytes token(statement.begin(), statement.end());
    token.insert(token.end(), sig.b.begin(), sig.b.end());
    return to_base64(token);
}

session_statement new_session_statement(community_id c, member_id m, const public_key& key,
                                        time_ms expires_at) {
    session_statement s{c, m, key, expires_at, {}};
    random_bytes(s.nonce);
    return s;
}

result<session_token> read_session_token(std::string_view base64) {
    if (base64.size() != session_token_chars)
        return refused("a session token is " + std::to_string(session_token_chars) +
                       " characters of base64 (api/README.md, \"Sessions\"); this one has " +
                       std::to_string(base64.size()));
    auto raw = from_base64(base64);
    if (!raw || raw->size() != session_token_bytes)
        return refused("the session token is not canonical standard base64 of " +
                       std::to_string(session_token_bytes) + " bytes");
    const std::uint8_t* at = raw->data();
    session_token t;
    t.statement.community = community_id{get_u64(at)};
    t.statement.member = member_id{get_u64(at + 8)};
    std::copy(at + 16, at + 16 + public_key_bytes, t.statement.key.b.begin());
    t.statement.expires_at =
        time_ms{static_cast<std::int64_t>(get_u64(at + 16 + public_key_bytes))};
    std::copy(at + 24 + public_key_bytes, at + session_statement_bytes, t.statement.nonce.begin());
    std::copy(at + session_statement_bytes, at + session_token_bytes, t.sig.b.begin());
    if (t.statement.community.value == 0)
        return refused("the session statement names community 0, which never exists");
    return t;
}

result<void> check_session_time(const session_statement& s, time_ms now) {
    if (s.expires_at <= now)
        return refused("the session expired at " + std::to_string(s.expires_at.value) +
                       " ms (it is now " + std::to_string(now.value) + "): sign a new one");
    if (s.expires_at.value - now.value > session_lifetime_ms_max)
        return refused("the session would expire more than 24 hours from now (at " +
                       std::to_string(s.expires_at.value) + " ms; it is now " +
                       std::to_string(now.value) + "): sign one that expires sooner");
    return ok_value;
}

bool verify_session_signature(const session_token& t, key_cache& keys) {
    return keys.verify_raw(t.statement.key, signed_message(session_statement_bytes_of(t.statement)),
                           t.sig);
}

result<session_statement> check_session_token(std::string_view base64, time_ms now,
                                              key_cache& keys) {
    auto t = read_session_token(base64);
    if (!t) return t.err();
    if (auto in_time = check_session_time(t->statement, now); !in_time) return in_time.err();
    if (!verify_session_signature(*t, keys)) return bad_session_signature();
    return t->statement;
}

}  // namespace uurwerk
