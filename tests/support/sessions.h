#pragma once
// Test support: sessions for reading (ledger/core/session.h, api/README.md "Sessions"). A token
// of a member's key, as a client signs it, and the Authorization header that carries it.

#include <chrono>
#include <string>

#include "ledger/core/session.h"

namespace uurwerk::testing {

// The machine's clock, ms since the Unix epoch (the clock of a server that `serve` runs).
inline time_ms wall_now() {
    return time_ms{std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count()};
}

// A token of member `m` of `c` signed with `key`, ending at `expires`.
inline std::string signed_token(const signing_key& key, community_id c, member_id m,
                                time_ms expires) {
    return sign_session(new_session_statement(c, m, key.public_bytes(), expires), key);
}

// "Bearer TOKEN" of a session that ends an hour from now on the machine's clock.
inline std::string bearer(const signing_key& key, community_id c, member_id m) {
    return "Bearer " + signed_token(key, c, m, time_ms{wall_now().value + 3'600'000});
}

}  // namespace uurwerk::testing
