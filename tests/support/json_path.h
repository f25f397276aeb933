#pragma once
// Reading a JSON answer in a test by path: J(doc, "entries", 0, "at_ms") is the value there, or
// null when there is none (so a missing field fails the check that reads it, not the test run).

#include <cstddef>
#include <string>
#include <type_traits>

#include "api/json/json_read.h"

namespace uurwerk::testing {

inline const json_value& null_json() {
    static const json_value null_value{};
    return null_value;
}

template <typename... Steps>
const json_value& J(const json_value& v, Steps... steps) {
    const json_value* at = &v;
    const auto step = [&](auto k) {
        if constexpr (std::is_integral_v<decltype(k)>) {
            const auto* a = at->as_array();
            at = a && static_cast<std::size_t>(k) < a->size() ? &(*a)[k] : &null_json();
        } else {
            const auto* next = at->at(k);
            at = next ? next : &null_json();
        }
    };
    (step(steps), ...);
    return *at;
}
// A string (or an integer, printed); "?" when neither.
inline std::string str(const json_value& v) {
    return v.as_string().value_or("?");
}
// A number; -1 when none.
inline double num(const json_value& v) {
    return v.as_number().value_or(-1);
}
// An array's length; 999 when it is no array.
inline std::size_t count(const json_value& v) {
    const auto* a = v.as_array();
    return a ? a->size() : 999;
}

}  // namespace uurwerk::testing
