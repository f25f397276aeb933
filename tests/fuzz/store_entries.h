#pragma once
// The input format of state_fuzz.cpp, shared with make_fuzz_seeds.cpp (which writes real stores
// in it): a projection store's entries, one after the other, each
//   column (1 byte, taken modulo column_count) | key length (1 byte) | key |
//   value length (2 bytes, little-endian) | value
// An entry cut short by the end of the input keeps what is there. Pure functions, no state.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "projections/store.h"

namespace uurwerk::fuzz {

struct store_entry {
    column col = column::state;
    std::string key;
    std::string value;
};

inline std::vector<store_entry> parse_store_entries(std::string_view in) {
    std::vector<store_entry> out;
    std::size_t pos = 0;
    auto take = [&](std::size_t n) {
        const auto s = in.substr(pos, n);
        pos += s.size();
        return s;
    };
    while (pos < in.size()) {
        store_entry e;
        e.col = static_cast<column>(static_cast<std::uint8_t>(in[pos++]) % column_count);
        const auto key_size = take(1);
        e.key = take(key_size.empty() ? 0 : static_cast<std::uint8_t>(key_size[0]));
        const auto value_size = take(2);
        std::size_t n = 0;
        for (std::size_t i = 0; i < value_size.size(); ++i)
            n |= std::size_t{static_cast<std::uint8_t>(value_size[i])} << (8 * i);
        e.value = take(n);
        out.push_back(std::move(e));
    }
    return out;
}

// Appends one entry; false (and nothing appended) when the key or the value is too long.
inline bool put_store_entry(std::string& out, column c, std::string_view key,
                            std::string_view value) {
    if (key.size() > 0xff || value.size() > 0xffff) return false;
    out.push_back(static_cast<char>(c));
    out.push_back(static_cast<char>(key.size()));
    out.append(key);
    out.push_back(static_cast<char>(value.size() & 0xff));
    out.push_back(static_cast<char>(value.size() >> 8));
    out.append(value);
    return true;
}

}  // namespace uurwerk::fuzz
