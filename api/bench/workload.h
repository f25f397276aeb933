#pragma once
// A deterministic time-bank workload: a founded community, its members with their keys, then
// a stream of posts, claims, confirmations and transfers that the ledger accepts (the policy is
// wide open, so every event is valid). For benchmarks and crash tests. Same seed, same events
// (and the same texts and salts: the salts come from the seed, not from OpenSSL, which a real
// client must never do).
//
// Threading: make_workload() signs on `threads` threads and returns when done; the result is
// plain data, safe to read from any thread.

#include <functional>

#include "ledger/core/crypto.h"
#include "ledger/core/personal.h"

namespace uurwerk {

// Whether the events carry free texts the way real clients write them: every post a text,
// every claim a note and every other transfer a note, each a commitment in the body and the
// salt and text beside the envelope (ledger/core/personal.h); or none at all (the workload of
// the figures before issue 22).
enum class free_texts : std::uint8_t { left_out, beside };

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
    free_texts texts = free_texts::left_out;
};

struct workload {
    std::vector<bytes> setup;   // founding and admissions, to apply first, in order
    std::vector<bytes> events;  // stored envelopes, in order
    // With free_texts::beside: events[i]'s text and salt (none when its body commits to no
    // text), as many as `events`; empty with free_texts::left_out.
    std::vector<std::optional<personal_text>> personal;
    std::vector<public_key> member_keys;  // member i+1's key

    // The text beside events[i], if any.
    [[nodiscard]] const std::optional<personal_text>& personal_of(std::size_t i) const;
    // How many of `events` carry a text.
    [[nodiscard]] std::size_t texts() const;
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
