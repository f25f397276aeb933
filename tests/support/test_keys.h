#pragma once
// Test support: a signing key whose 32-byte seed is one byte repeated, the same on every run.

#include <boost/test/unit_test.hpp>

#include "ledger/core/crypto.h"

namespace uurwerk::testing {

inline signing_key key_filled_with(std::uint8_t fill) {
    std::array<std::uint8_t, 32> seed;
    seed.fill(fill);
    auto k = signing_key::from_seed(seed);
    BOOST_REQUIRE(k.ok());
    return std::move(*k);
}

}  // namespace uurwerk::testing
