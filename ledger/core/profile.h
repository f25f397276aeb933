#pragma once
// A member's profile (AVG: personal data, kept beside the log): the display name others see,
// and optionally contact details, the languages they speak and a short "about me". The log
// carries only its commitment (ledger/core/personal.h), in a profileUpdated event or in the
// memberAdmitted that admits the member; the document itself travels beside the envelope as
// its personal text and is kept, erasably, in the personal-data store.
//
// The document is plain UTF-8 text, one field per line, in this order, each at most once:
//
//   name=Eva de Vries                 required: 1 to 80 characters
//   phone=+31 6 1234 5678             optional: 1 to 32 of "0-9 +()-./"
//   email=eva@example.nl              optional: 3 to 254 characters, one '@', no spaces
//   languages=nl,en                   optional: 1 to 8 codes of 2 to 8 of "a-z-", comma-separated
//   about=Ik wandel graag en lees voor.   optional: 1 to 600 characters
//
// Lines end with "\n" (the last may too); no other control character anywhere; at most
// profile_bytes_max bytes. The commitment is over the exact bytes sent, so a client builds the
// document once and never re-encodes it. api/README.md, "Profiles", is the contract.
//
// Pure functions; safe from any thread.

#include <string>
#include <string_view>
#include <vector>

#include "ledger/core/base.h"

namespace uurwerk {

inline constexpr std::size_t profile_bytes_max = 1500;
inline constexpr std::size_t display_name_chars_max = 80;
inline constexpr std::size_t phone_chars_max = 32;
inline constexpr std::size_t email_chars_max = 254;
inline constexpr std::size_t languages_max = 8;
inline constexpr std::size_t about_chars_max = 600;

struct member_profile {
    std::string name;
    std::string phone;  // "" = not given
    std::string email;  // "" = not given
    std::vector<std::string> languages;
    std::string about;  // "" = not given
    bool operator==(const member_profile&) const = default;
};

// The profile a document holds. Errors: personal_data_mismatch, naming the line and the rule
// it breaks.
[[nodiscard]] result<member_profile> parse_profile(std::string_view document);

// The document of `p`, in the order above, fields not given left out; parse_profile() gives `p`
// back when `p` keeps the rules.
[[nodiscard]] std::string profile_document(const member_profile& p);

}  // namespace uurwerk
