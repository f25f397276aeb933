#pragma once
// Sessions for reading: a member signs a short statement with one of their keys ("I, member M
// of community C, holding key K, read until T"), and presents it as a bearer token; any node
// checks it without shared state. This file is the pure part: the statement's exact bytes, the
// token's form, the signature, and the time window. Whether K is still M's key, unrevoked, and
// M a member who is not suspended, is asked of the ledger state by the caller (api/http).
//
// The statement is a fixed binary layout (api/README.md, "Sessions", is its documentation for
// clients in other languages), 72 bytes, integers big-endian:
//   community      u64   8 bytes
//   member         u64   8 bytes  0: no member, an auditor's session (the key must be an
//                                 auditor's the community appointed: auditorAppointed)
//   key                 32 bytes  the Ed25519 public key that signs
//   expires_at_ms  i64   8 bytes  ms since the Unix epoch; at most 24 h after the checker's now
//   nonce               16 bytes  random: two statements are never the same
// The signature is Ed25519 by `key` over the ASCII bytes "uurwerk/session/v1" followed by the
// 72 statement bytes (a tag of its own: no event signature can pass for a session, nor the
// reverse). The token is the standard base64 (with padding) of statement ++ signature, 136
// bytes, so 184 characters.
//
// Pure functions of their arguments (the time included); safe from any thread. Failures are
// errc::unauthenticated, with a message that says what is wrong with the token itself.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "ledger/core/base.h"
#include "ledger/core/crypto.h"
#include "ledger/core/event.h"

namespace uurwerk {

inline constexpr std::string_view session_domain_tag = "uurwerk/session/v1";
inline constexpr std::size_t session_nonce_bytes = 16;
inline constexpr std::size_t session_statement_bytes = 8 + 8 + public_key_bytes + 8 + 16;  // 72
inline constexpr std::size_t session_token_bytes =
    session_statement_bytes + signature_bytes;                             // 136
inline constexpr std::size_t session_token_chars = 184;                    // its base64
inline constexpr std::int64_t session_lifetime_ms_max = 24 * 3600 * 1000;  // a day

struct session_statement {
    community_id community;
    member_id member;
    public_key key;
    time_ms expires_at;
    std::array<std::uint8_t, session_nonce_bytes> nonce{};
    bool operator==(const session_statement&) const = default;
};

// The statement's 72 bytes (the layout above).
[[nodiscard]] std::array<std::uint8_t, session_statement_bytes> session_statement_bytes_of(
    const session_statement& s);

// The token a client sends: base64 of the statement's bytes and `key`'s signature over
// session_domain_tag ++ those bytes. `key` must be the statement's key (asserted).
[[nodiscard]] std::string sign_session(const session_statement& s, const signing_key& key);

// A statement with a random nonce, expiring at `expires_at` (for clients).
[[nodiscard]] session_statement new_session_statement(community_id c, member_id m,
                                                      const public_key& key, time_ms expires_at);

// The token's statement and signature, read from its base64 text: its form only (length,
// alphabet, community not 0). Nothing is verified.
struct session_token {
    session_statement statement;
    signature sig;
};
[[nodiscard]] result<session_token> read_session_token(std::string_view base64);

// Whether the statement is in force at `now`: not expired (expires_at > now) and not more than
// session_lifetime_ms_max ahead of `now` (no statement lives longer than a day).
[[nodiscard]] result<void> check_session_time(const session_statement& s, time_ms now);

// Whether the token's signature is its statement's key's over session_domain_tag ++ the
// statement's bytes.
[[nodiscard]] bool verify_session_signature(const session_token& t, key_cache& keys);

// The error of a token whose signature does not verify.
[[nodiscard]] error bad_session_signature();

// The whole pure check: the token's form, the signature by the statement's key, and the time
// window at `now`. `keys` caches the EVP_PKEY of each key. Errors: unauthenticated.
[[nodiscard]] result<session_statement> check_session_token(std::string_view base64, time_ms now,
                                                            key_cache& keys);

}  // namespace uurwerk
