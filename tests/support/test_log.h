#pragma once
// Test support: a LocalLog in `dir` whose clock ticks one ms per read, from a fixed start, so
// that tests see the same log times on every run.

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <memory>

#include "ledger/log/local_log.h"

namespace uurwerk::testing {

inline std::unique_ptr<local_log> open_test_log(const std::filesystem::path& dir) {
    local_log_options o;
    o.dir = dir;
    std::int64_t t = 1'700'000'000'000;
    o.clock = [t]() mutable { return time_ms{t++}; };
    auto log = local_log::open(o);
    BOOST_REQUIRE_MESSAGE(log.ok(), (log.ok() ? std::string() : log.err().message));
    return std::move(*log);
}

}  // namespace uurwerk::testing
