#pragma once
// Personal data beside the log (AVG): an event body carries only a salted commitment to its free
// text (a post's text, a note, a reason); the text and its salt travel beside the signed
// envelope (POST /v1/events' "personal") and are kept in the node's personal-data store, where
// they can be erased while every hash, root and proof over the log stays valid. The commitment:
//
//   SHA-256("uurwerk/personal/v1" ++ 0x00 ++ salt ++ text)
//
// with a 16-byte salt the client draws at random for each text, so that a short text (a name,
// "ja") cannot be found by hashing guesses, and the text as UTF-8 bytes. api/README.md documents
// it for clients in other languages.
//
// Pure functions of their arguments, except fresh_salt() and commit_fresh(), which ask OpenSSL
// for random bytes. Safe from any thread.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/core/base.h"
#include "ledger/core/event.h"

namespace uurwerk {

inline constexpr std::size_t personal_salt_bytes = 16;
inline constexpr std::string_view personal_tag = "uurwerk/personal/v1";

struct personal_salt {
    std::array<std::uint8_t, personal_salt_bytes> b{};
    auto operator<=>(const personal_salt&) const = default;
};

// A free text and the salt of its commitment.
struct personal_text {
    personal_salt salt;
    std::string text;
    bool operator==(const personal_text&) const = default;
};

[[nodiscard]] digest commit_text(const personal_salt& salt, std::string_view text);
[[nodiscard]] personal_salt fresh_salt();

// `text` with a fresh salt, and its commitment: what a client puts beside and in the body.
struct committed_text {
    personal_text personal;
    digest commitment;
};
[[nodiscard]] committed_text commit_fresh(std::string text);

// The commitment an event's body carries: each kind has at most one free text. None for a kind
// without one, or when the author wrote no text.
[[nodiscard]] text_commitment text_commitment_of(const event_body& b);

// Whether the text `b` commits to is a profile document (ledger/core/profile.h): a
// memberAdmitted's or a profileUpdated's. Every other kind's is a free text.
[[nodiscard]] bool carries_profile(const event_body& b);

// Checks the personal data sent with an event: given exactly when the body commits to a text,
// 1 to text_chars_max characters of UTF-8 (a profile: a valid profile document), and matching
// the commitment. Errors: "personal_data_mismatch", saying which of these fails.
[[nodiscard]] result<void> check_personal(const event_body& b,
                                          const std::optional<personal_text>& personal);

// A text in the personal-data store, named as the store keys it: the community, the event that
// committed to it, and its commitment.
struct text_ref {
    community_id community;
    event_id event;
    digest commitment;
    bool operator==(const text_ref&) const = default;
};

// The members an event's text belongs to or is about: the member it acts for (the author, or
// whom a delegate acts for), and the member it names (the one suspended or endorsed, a claim's
// receiver, a transfer's receiver); for a profile, only the member it describes. Whose erasure
// removes the text.
[[nodiscard]] std::vector<member_id> members_concerned(const event_body& b);

}  // namespace uurwerk
