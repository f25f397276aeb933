#pragma once
// Rate quotas of the HTTP API (api/README.md, "Quotas"): writes per signing key and per client
// address, reads per session (member) or, without one, per client address. Each is a token
// bucket: `burst` requests at once, refilled at `per_s` a second. Over it, a request is
// answered 429 "rate_limited" with Retry-After (whole seconds, at least 1), and nobody else's
// bucket is touched.
//
// Two layers:
// - token_buckets: the arithmetic and the bounded table, pure: every call takes the time as an
//   argument (a duration since any fixed origin), no clock inside. GCRA form of the token
//   bucket: each client holds one number, the time at which its bucket will be full again; a
//   client whose bucket is full holds nothing, so its entry can be dropped without changing any
//   answer. The table holds at most `clients_max` clients: when it is full, the full buckets are
//   swept out, and if that is not enough the half whose buckets are nearest to full are dropped
//   (each such client gets a full bucket again, at most `burst` more requests: no worse than a
//   new client, which any attacker can be). So a flood of distinct keys or addresses costs
//   bounded memory and never refuses a newcomer because the table is full.
// - quotas: the four tables of a node behind its own mutexes (several shards each), with the
//   clock the edge passes in (steady_clock by default).
//
// Ownership and threading: token_buckets is a value, not thread-safe. quotas owns its tables;
// its functions may be called from any number of threads at once.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ledger/core/base.h"

namespace uurwerk {

// A token bucket's size and refill. per_s == 0: no limit.
struct rate_limit {
    std::uint32_t per_s = 0;
    std::uint32_t burst = 0;  // at least 1 when per_s > 0

    [[nodiscard]] bool unlimited() const { return per_s == 0; }
    friend bool operator==(const rate_limit&, const rate_limit&) = default;
};

inline constexpr std::size_t quota_clients_max = 65536;  // clients remembered, per table

struct quota_options {
    // The defaults: far above what a time bank's member does (a few events a day, a page now
    // and then), far below what a flood sends.
    rate_limit writes_per_key{20, 100};
    rate_limit writes_per_address{50, 200};
    rate_limit reads_per_session{50, 200};
    rate_limit reads_per_address{50, 200};
    std::size_t clients_max = quota_clients_max;

    // No limit at all: what the benchmarks ask for explicitly (they measure the node, not the
    // quotas).
    [[nodiscard]] static quota_options unlimited();
};

// A quota as a flag gives it: "PER_S:BURST" (e.g. "20:100"), or "off" for no limit. Errors:
// bad_argument (saying what `flag` takes).
[[nodiscard]] result<rate_limit> parse_rate_limit(std::string_view text, std::string_view flag);

// Time since any fixed origin; only differences matter.
using quota_time = std::chrono::nanoseconds;

class token_buckets {
public:
    token_buckets(rate_limit limit, std::size_t clients_max);

    // Takes a token from `client`'s bucket at `now`: nothing when there was one; else how long
    // until there will be (the request is not counted). `now` may go backwards a little (it is
    // then taken as the latest time seen for that client).
    [[nodiscard]] std::optional<quota_time> take(std::string_view client, quota_time now);
    // Whether take() would refuse `client` at `now` (how long until it would not), without
    // taking anything: a quick look for the server's I/O thread.
    [[nodiscard]] std::optional<quota_time> empty_for(std::string_view client,
                                                      quota_time now) const;
    // Clients remembered (those whose bucket is not full, and some that are).
    [[nodiscard]] std::size_t size() const { return full_at_.size(); }
    [[nodiscard]] std::size_t clients_max() const { return clients_max_; }

private:
    void make_room(quota_time now);

    rate_limit limit_;
    std::size_t clients_max_;
    quota_time interval_;   // one token's refill
    quota_time tolerance_;  // (burst - 1) intervals
    // When each client's bucket will be full again.
    std::unordered_map<std::string, quota_time> full_at_;
};

// Whole seconds to tell a client to wait: `wait` rounded up, at least 1.
[[nodiscard]] std::uint64_t retry_after_seconds(quota_time wait);

class quotas {
public:
    using clock = std::function<quota_time()>;
    // `now` is the time every bucket is charged at; by default steady_clock's.
    explicit quotas(const quota_options& options, clock now = {});

    // Each charges one request to its client's bucket: nothing when within the quota, else how
    // long to wait.
    [[nodiscard]] std::optional<quota_time> write_by_key(std::string_view key);
    [[nodiscard]] std::optional<quota_time> write_by_address(std::string_view address);
    [[nodiscard]] std::optional<quota_time> read_by_session(std::string_view session);
    [[nodiscard]] std::optional<quota_time> read_by_address(std::string_view address);

    // Whether the address's bucket is empty now (how long until it is not), taking nothing: the
    // server's early refusal, on its I/O thread, of a client that is over its quota already.
    [[nodiscard]] std::optional<quota_time> writes_by_address_empty(std::string_view address);
    [[nodiscard]] std::optional<quota_time> reads_by_address_empty(std::string_view address);

    // Clients remembered over all tables (for tests: memory stays bounded).
    [[nodiscard]] std::size_t clients() const;
    [[nodiscard]] const quota_options& options() const { return options_; }

    quotas(const quotas&) = delete;
    quotas& operator=(const quotas&) = delete;

private:
    static constexpr std::size_t shards = 8;
    struct shard {
        mutable std::mutex mutex;
        token_buckets buckets;  // under mutex
        shard(rate_limit l, std::size_t clients_max) : buckets(l, clients_max) {}
    };
    struct table {
        rate_limit limit;
        std::vector<std::unique_ptr<shard>> parts;
    };
    [[nodiscard]] std::optional<quota_time> charge(table& t, std::string_view client);
    [[nodiscard]] std::optional<quota_time> look(table& t, std::string_view client);
    void make(table& t, rate_limit limit);

    quota_options options_;
    clock now_;
    table key_writes_, address_writes_, session_reads_, address_reads_;
};

}  // namespace uurwerk
