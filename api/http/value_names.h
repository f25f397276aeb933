#pragma once
// The names the HTTP API shows for the ledger's enumerated values (api/README.md), one table
// each, indexed by the value. A value beyond its table is a bug and asserts. Pure.

#include <array>
#include <cstddef>
#include <string_view>

#include "ledger/core/rules.h"

namespace uurwerk {

namespace value_names {
inline constexpr std::array<std::string_view, 2> role = {"member", "coordinator"};
inline constexpr std::array<std::string_view, 3> intensity = {"once", "sometimes", "regularly"};
inline constexpr std::array<std::string_view, 4> claim_status = {"pending", "disputed", "confirmed",
                                                                 "reversed"};
inline constexpr std::array<std::string_view, 5> match_status = {"proposed", "accepted", "declined",
                                                                 "ended", "lapsed"};
inline constexpr std::array<std::string_view, 3> post_status = {"open", "withdrawn", "hidden"};
}  // namespace value_names

template <typename E, std::size_t N>
[[nodiscard]] std::string_view value_name(const std::array<std::string_view, N>& names, E e) {
    const auto i = static_cast<std::size_t>(e);
    UURWERK_ASSERT(i < N, i);
    return names[i];
}

[[nodiscard]] inline std::string_view role_name(role r) {
    return value_name(value_names::role, r);
}
[[nodiscard]] inline std::string_view intensity_name(intensity i) {
    return value_name(value_names::intensity, i);
}
[[nodiscard]] inline std::string_view claim_status_name(claim_status s) {
    return value_name(value_names::claim_status, s);
}
[[nodiscard]] inline std::string_view match_status_name(match_status s) {
    return value_name(value_names::match_status, s);
}
[[nodiscard]] inline std::string_view post_status_name(post_status s) {
    return value_name(value_names::post_status, s);
}
[[nodiscard]] inline std::string_view verdict_name(const verdict& v) {
    return v.accepted() ? "accepted" : "rejected";
}

}  // namespace uurwerk
