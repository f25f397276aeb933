// The ingest path's verify pool (api/verify_pool.h): the same answers as verifying on the
// caller's thread, from many callers at once, on threads of lower CPU priority.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <sys/resource.h>
#include <unistd.h>

#include "api/verify_pool.h"
#include "ledger/workload.h"

using namespace uurwerk;

namespace {

// The nice value of each of this process's threads named `name` (field 19 of its stat).
std::vector<int> nice_of_threads(const std::string& name) {
    std::vector<int> out;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
        std::ifstream f(task.path() / "stat");
        std::string line;
        std::getline(f, line);
        const auto open = line.find('('), close = line.rfind(')');
        if (line.substr(open + 1, close - open - 1) != name) continue;
        std::istringstream rest(line.substr(close + 2));
        std::string field;
        for (int i = 3; i <= 19 && rest >> field; ++i)
            if (i == 19) out.push_back(std::stoi(field));
    }
    return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_pool_answers_as_the_key_cache_does_from_many_threads) {
    auto w = make_workload({community_id{1}, 8, 400, 5, 2, {}});
    std::vector<envelope> good, bad;
    for (const auto& b : w.events) {
        auto e = decode_envelope(b).value();
        good.push_back(e);
        e.sig.b[7] ^= 0x20;  // one bit off
        bad.push_back(e);
    }
    key_cache keys;
    verify_pool pool(keys, 2, 5);
    std::atomic<std::size_t> good_ok{0}, bad_ok{0};
    std::vector<std::thread> callers;
    for (std::size_t t = 0; t < 16; ++t)
        callers.emplace_back([&, t] {
            for (std::size_t i = t; i < good.size(); i += 16) {
                good_ok += pool.verify(good[i]);
                bad_ok += pool.verify(bad[i]);
            }
        });
    for (auto& c : callers) c.join();
    BOOST_CHECK_EQUAL(good_ok.load(), good.size());
    BOOST_CHECK_EQUAL(bad_ok.load(), 0u);

    // Its threads run 5 nice steps below the caller's (Linux keeps nice values per thread).
    const auto nices = nice_of_threads("uw-verify");
    BOOST_REQUIRE_EQUAL(nices.size(), 2u);
    const int mine = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
    for (int n : nices) BOOST_CHECK_EQUAL(n, std::min(19, mine + 5));
}
