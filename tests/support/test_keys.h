#pragma once
// Test support: keys that are the same on every run. A signing key whose 32-byte seed is one
// byte repeated; public keys that are plain 32-byte values (no private half), for code that
// trusts its caller to have verified the signature (the rules, the founders list).

#include <boost/test/unit_test.hpp>
#include <cstdint>

#include "ledger/core/crypto.h"

namespace uurwerk::testing {

inline signing_key key_filled_with(std::uint8_t fill) {
    std::array<std::uint8_t, 32> seed;
    seed.fill(fill);
    auto k = signing_key::from_seed(seed);
    BOOST_REQUIRE(k.ok());
    return std::move(*k);
}

// A public key whose 32 bytes are all `n`.
inline public_key key_of(std::uint8_t n) {
    public_key k;
    k.b.fill(n);
    return k;
}

// A public key whose bytes count up from `first` (first, first + 1, ...).
inline public_key key_counting_from(std::uint8_t first) {
    public_key k;
    for (std::size_t i = 0; i < k.b.size(); ++i) k.b[i] = static_cast<std::uint8_t>(first + i);
    return k;
}

}  // namespace uurwerk::testing
