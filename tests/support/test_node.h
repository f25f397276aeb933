#pragma once
// Test support: a node (api/node/node.h) with its LocalLog and store in a folder of the test's,
// on a log clock the test chooses (by default one that stands still).

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <memory>

#include "api/node/node.h"

namespace uurwerk::testing {

inline std::unique_ptr<node> open_test_node(
    const std::filesystem::path& data_dir,
    log_clock clock = [] { return time_ms{1'700'000'000'000}; }) {
    node_options o;
    o.data_dir = data_dir;
    o.clock = std::move(clock);
    auto opened = node::open(o);
    BOOST_REQUIRE_MESSAGE(opened.ok(), (opened.ok() ? "" : opened.err().message));
    return std::move(*opened);
}

}  // namespace uurwerk::testing
