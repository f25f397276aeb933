// The node's ingest path against a log that fails on purpose: an append that fails is answered
// with the log's error, and the same event submitted again once the log has recovered is
// accepted at once (a failed submit leaves nothing behind that a retry could wait on).
#include <boost/test/unit_test.hpp>

#include "api/node.h"
#include "ledger/local_log.h"
#include "tests/support/temp_dir.h"

using namespace uurwerk;
using uurwerk::testing::temp_dir;

namespace {

// A LocalLog whose next `failures` appends fail (as a broker that is briefly away would),
// then recover.
class flaky_log final : public event_log {
public:
    flaky_log(std::unique_ptr<local_log> inner, int failures)
        : inner_(std::move(inner)), failures_(failures) {}

    result<void> append_async(bytes payload, append_callback done) override {
        if (failures_.fetch_sub(1) > 0) {
            done(make_error("log_unavailable", "injected: the log is away"));
            return ok_value;
        }
        return inner_->append_async(std::move(payload), std::move(done));
    }
    result<std::vector<log_record>> read(offset from, std::size_t records_max,
                                         std::chrono::milliseconds wait) override {
        return inner_->read(from, records_max, wait);
    }
    offset end() const override { return inner_->end(); }

private:
    std::unique_ptr<local_log> inner_;
    std::atomic<int> failures_;
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_failed_append_is_reported_and_the_same_event_goes_through_on_retry) {
    temp_dir dir("node");
    local_log_options lo;
    lo.dir = dir.path / "log";
    lo.clock = wall_clock();
    auto inner = local_log::open(lo);
    BOOST_REQUIRE(inner.ok());
    auto n = node::open_with_log(std::make_unique<flaky_log>(std::move(*inner), 1),
                                 dir.path / "store", std::chrono::milliseconds(3000));
    BOOST_REQUIRE(n.ok());

    auto key = signing_key::generate().value();
    event_body found{random_event_id(),
                     community_id{5},
                     member_id{1},
                     sequence{1},
                     time_ms{0},
                     std::nullopt,
                     community_founded{"Zuid", policy{}}};
    const auto env = key.seal(found);

    auto first = (*n)->submit(env);
    BOOST_REQUIRE(!first.ok());
    BOOST_CHECK_EQUAL(first.err().code, "log_unavailable");

    const auto t0 = std::chrono::steady_clock::now();
    auto retry = (*n)->submit(env);
    BOOST_REQUIRE_MESSAGE(retry.ok(), (retry.ok() ? std::string() : retry.err().message));
    BOOST_CHECK(retry->decided.accepted());
    BOOST_CHECK(!retry->duplicate);
    BOOST_CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(2000));
}
