#pragma once
// Test support: event ids that are the same on every run: `n` in the first eight bytes (little
// endian), zeros after, so that distinct numbers are distinct ids and 0 is the zero id.

#include <cstdint>
#include <cstring>

#include "ledger/core/event.h"

namespace uurwerk::testing {

inline event_id id_of(std::uint64_t n) {
    event_id id;
    std::memcpy(id.b.data(), &n, sizeof n);
    return id;
}

}  // namespace uurwerk::testing
