#include "ledger/core/personal.h"

#include <algorithm>

#include "ledger/core/crypto.h"
#include "ledger/core/limits.h"
#include "ledger/core/profile.h"

namespace uurwerk {

digest commit_text(const personal_salt& salt, std::string_view text) {
    static constexpr std::uint8_t separator = 0;
    return sha256(
        {byte_view(reinterpret_cast<const std::uint8_t*>(personal_tag.data()), personal_tag.size()),
         byte_view(&separator, 1), byte_view(salt.b),
         byte_view(reinterpret_cast<const std::uint8_t*>(text.data()), text.size())});
}

personal_salt fresh_salt() {
    personal_salt s;
    random_bytes(s.b);
    return s;
}

committed_text commit_fresh(std::string text) {
    committed_text out{{fresh_salt(), std::move(text)}, {}};
    out.commitment = commit_text(out.personal.salt, out.personal.text);
    return out;
}

text_commitment text_commitment_of(const event_body& b) {
    return std::visit(
        [](const auto& x) -> text_commitment {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_base_of_v<post_body, T> || std::is_same_v<T, endorsement>)
                return x.text_digest;
            else if constexpr (std::is_same_v<T, hours_claimed> || std::is_same_v<T, transfer>)
                return x.note_digest;
            else if constexpr (std::is_same_v<T, member_suspended> ||
                               std::is_same_v<T, post_hidden> ||
                               std::is_same_v<T, hours_disputed> || std::is_same_v<T, reversal>)
                return x.reason_digest;
            else if constexpr (std::is_same_v<T, member_admitted>)
                return x.profile_digest;
            else if constexpr (std::is_same_v<T, profile_updated>)
                return x.profile_digest;
            else
                return std::nullopt;
        },
        b.payload);
}

result<void> check_personal(const event_body& b, const std::optional<personal_text>& personal) {
    const auto committed = text_commitment_of(b);
    const std::string kind(kind_name(b.kind()));
    if (!committed && !personal) return {};
    if (!committed)
        return make_error(errc::personal_data_mismatch,
                          "the " + kind +
                              " event commits to no text, but personal data was sent with it; "
                              "send none, or put its commitment in the body");
    if (!personal)
        return make_error(errc::personal_data_mismatch,
                          "the " + kind +
                              " event commits to a text, but none was sent with it: send "
                              "\"personal\": {\"salt\", \"text\"} beside the envelope");
    if (carries_profile(b)) {
        if (auto p = parse_profile(personal->text); !p) return p.err();
    } else if (personal->text.empty() || !text_within(personal->text, text_chars_max))
        return make_error(errc::personal_data_mismatch, "the personal text must be 1 to " +
                                                            std::to_string(text_chars_max) +
                                                            " characters of valid UTF-8");
    if (commit_text(personal->salt, personal->text) != *committed)
        return make_error(errc::personal_data_mismatch,
                          "the personal text and salt do not match the commitment in the " + kind +
                              " event (SHA-256 of \"" + std::string(personal_tag) +
                              "\", a zero byte, the salt and the text)");
    return {};
}

bool carries_profile(const event_body& b) {
    return b.kind() == event_kind::member_admitted || b.kind() == event_kind::profile_updated;
}

std::vector<member_id> members_concerned(const event_body& b) {
    // A profile is its member's alone, whoever signed it (a coordinator admitting them).
    if (const auto* x = std::get_if<member_admitted>(&b.payload)) return {x->member};
    if (const auto* x = std::get_if<profile_updated>(&b.payload)) return {x->member};
    std::vector<member_id> out{b.actor()};
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, member_suspended> || std::is_same_v<T, endorsement>)
                out.push_back(x.member);
            else if constexpr (std::is_same_v<T, hours_claimed>)
                out.push_back(x.receiver);
            else if constexpr (std::is_same_v<T, transfer>)
                if (x.to.value != 0) out.push_back(x.to);
        },
        b.payload);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

}  // namespace uurwerk
