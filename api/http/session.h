#pragma once
// Sessions at the HTTP edge (the pure statement check is ledger/core/session.h): where a request
// carries its session token, and the bounded cache that verifies a token's signature once.
//
// A request carries its token in "Authorization: Bearer TOKEN", or in the cookie
// "uurwerk_session=TOKEN" that POST /v1/session sets in a browser; the header wins when both
// are there. api/README.md, "Sessions", is the contract.
//
// Ownership and threading: session_cache owns its entries and its key cache; check() may be
// called from any number of threads at once (one mutex around the map; the signature is
// verified outside it).

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "api/http/http_server.h"
#include "ledger/core/crypto.h"
#include "ledger/core/session.h"

namespace uurwerk {

inline constexpr std::string_view session_cookie_name = "uurwerk_session";
inline constexpr std::size_t sessions_cached_max = 16384;  // verified tokens remembered

// The session token of `request`, as sent; nothing when it carries none.
[[nodiscard]] std::optional<std::string_view> session_token_of(const http_request& request);

class session_cache {
public:
    explicit session_cache(std::size_t entries_max = sessions_cached_max);

    // check_session_token's answer for `token` at `now`. A token verified before is answered
    // from the cache, its time window checked again at `now`, with no signature verification.
    // Only tokens that verified are kept; at most entries_max of them (two generations: when
    // the newer is full, the older is dropped). Errors: unauthenticated.
    [[nodiscard]] result<session_statement> check(std::string_view token, time_ms now);

    // Whether `token` verified before and is remembered: check() would answer it without a
    // signature verification (the rate quotas charge a token that is not to its address first).
    [[nodiscard]] bool remembers(std::string_view token) const;
    // Signature verifications done (for tests and the benchmark).
    [[nodiscard]] std::uint64_t verifications() const;

    session_cache(const session_cache&) = delete;
    session_cache& operator=(const session_cache&) = delete;

private:
    const std::size_t generation_max_;
    key_cache keys_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, session_statement> newer_, older_;
    std::uint64_t verifications_ = 0;
};

}  // namespace uurwerk
