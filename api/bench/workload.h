#pragma once
// A deterministic time-bank workload: a founded community, its members with their keys, then
// a stream of posts, claims, confirmations and transfers that the ledger accepts (the policy is
// wide open, so every event is valid). For benchmarks and crash tests. Same seed, same events.
//
// Threading: make_workload() signs on `threads` threads and returns when done; the result is
// plain data, safe to read from any thread.

#include <functional>

#include "ledger/core/crypto.h"

namespace uurwerk {

struct workload_options {
    community_id community{1};
    std::size_t members = 200;
    std::size_t events = 10'000;  // after the founding and the admissions
    std::uint64_t seed = 42;
    std::size_t threads = 0;  // 0 = every core
    // Called now and then with (signed so far, total), for progress.
    std::function<void(std::size_t, std::size_t)> progress;
    // A claim is confirmed only once this many newer claims are pending, so that concurrent
    // clients do not confirm a claim before it is in the log.
    std::size_t confirm_lag = 256;
    // A node key the founder announces in the setup (for checkpoints), if any.
    std::optional<public_key> node_key = std::nullopt;
};

struct workload {
    std::vector<bytes> setup;             // founding and admissions, to apply first, in order
    std::vector<bytes> events;            // stored envelopes, in order
    std::vector<public_key> member_keys;  // member i+1's key
};

[[nodiscard]] workload make_workload(const workload_options& options);

// Each (signer, body) sealed with keys[signer] as a stored envelope, in order, signed on
// `threads` threads (0 = every core); `progress` (if any) every 50,000.
[[nodiscard]] std::vector<bytes> seal_all(
    const std::vector<std::pair<std::size_t, event_body>>& bodies,
    const std::vector<signing_key>& keys, std::size_t threads,
    const std::function<void(std::size_t, std::size_t)>& progress = {});

// The signing key of member `index + 1` of the workload made with `seed` (index 0 is the
// founder), for tests that sign more events as the workload's members.
[[nodiscard]] signing_key workload_member_key(std::uint64_t seed, std::size_t index);

// "Bearer TOKEN": a session of member `m` of `c` signed with `key`, for an hour on the
// machine's clock (api/README.md, "Sessions"), as the benchmarks' readers sign in.
[[nodiscard]] std::string session_header(const signing_key& key, community_id c, member_id m);

}  // namespace uurwerk
