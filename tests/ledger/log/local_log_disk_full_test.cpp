// LocalLog on a disk that fills up (a small tmpfs the test mounts; tests/support/small_disk.h):
// appends are refused with "disk_full" and none of them is acknowledged or readable, what was
// acknowledged before stays readable, and once space is freed the same open log writes again,
// at the next offset, without being reopened. A reopened log holds exactly what was
// acknowledged.

#include "ledger/log/local_log.h"
#include "tests/support/small_disk.h"

#include <boost/test/unit_test.hpp>

#include <filesystem>

using namespace uurwerk;
using uurwerk::testing::small_disk;

namespace {

constexpr time_ms fixed_now{1'700'000'000'000};

bytes payload_for(std::uint64_t i) {
    bytes b(200);
    for (std::size_t k = 0; k < b.size(); ++k) b[k] = static_cast<std::uint8_t>(i * 131 + k * 7);
    return b;
}

local_log_options options_for(const std::filesystem::path& dir) {
    local_log_options o;
    o.dir = dir;
    o.clock = [] { return fixed_now; };
    return o;
}

std::unique_ptr<local_log> open_log(const local_log_options& o) {
    auto opened = local_log::open(o);
    BOOST_REQUIRE_MESSAGE(opened.ok(), (opened.ok() ? "" : opened.err().message));
    return std::move(opened).value();
}

// Reads [0, end) and checks each record is payload_for(its offset).
void check_all(local_log& log, std::uint64_t end) {
    auto got = log.read(offset{0}, end + 10, std::chrono::milliseconds(0));
    BOOST_REQUIRE_MESSAGE(got.ok(), (got.ok() ? "" : got.err().message));
    BOOST_REQUIRE_EQUAL(got->size(), end);
    for (std::uint64_t i = 0; i < end; ++i) {
        BOOST_REQUIRE_EQUAL((*got)[i].at.value, i);
        BOOST_REQUIRE((*got)[i].payload == payload_for(i));
    }
}

}  // namespace

BOOST_AUTO_TEST_CASE(
    a_full_disk_refuses_appends_with_disk_full_and_the_log_writes_again_once_freed) {
    small_disk disk("log-disk-full", 2);
    const auto o = options_for(disk.path / "log");
    std::uint64_t acknowledged = 0;
    {
        auto log = open_log(o);
        for (; acknowledged < 100; ++acknowledged)
            BOOST_REQUIRE(log->append(payload_for(acknowledged)).ok());

        disk.fill();
        // The segment's last page may still take a record or two; then every append is refused.
        std::size_t refused = 0;
        for (int tries = 0; tries < 200; ++tries) {
            auto r = log->append(payload_for(acknowledged));
            if (r.ok()) {
                BOOST_REQUIRE_EQUAL(r->value, acknowledged);
                ++acknowledged;
                BOOST_REQUIRE_EQUAL(refused, 0u);  // after a refusal, nothing gets through
                continue;
            }
            BOOST_REQUIRE_MESSAGE(r.err().code == errc::disk_full,
                                  "expected disk_full, got " << (r.ok() ? "" : r.err().message));
            ++refused;
        }
        BOOST_REQUIRE_GE(refused, 150u);
        BOOST_CHECK_EQUAL(log->end().value, acknowledged);
        // Reads keep working, and nothing refused is there.
        check_all(*log, acknowledged);
        // Nothing of a refused append stays in the file: it ends at the last durable record.
        std::uint64_t bytes_on_disk = 0;
        for (const auto& f : std::filesystem::directory_iterator(o.dir))
            if (f.path().extension() == ".seg") bytes_on_disk += f.file_size();
        BOOST_CHECK_EQUAL(bytes_on_disk, acknowledged * (28 + 200));

        // Space again: the same log writes again, from the next offset, without a reopen.
        disk.free();
        for (int k = 0; k < 50; ++k) {
            auto r = log->append(payload_for(acknowledged));
            BOOST_REQUIRE_MESSAGE(r.ok(),
                                  "after freeing space: " << (r.ok() ? "" : r.err().message));
            BOOST_REQUIRE_EQUAL(r->value, acknowledged);
            ++acknowledged;
        }
        check_all(*log, acknowledged);
    }
    // A reopened log holds exactly the acknowledged records, and cut nothing.
    auto log = open_log(o);
    BOOST_CHECK_EQUAL(log->truncated_bytes_at_open(), 0u);
    BOOST_CHECK_EQUAL(log->end().value, acknowledged);
    check_all(*log, acknowledged);
}

BOOST_AUTO_TEST_CASE(a_disk_full_when_a_new_segment_starts_is_refused_and_recovers_too) {
    small_disk disk("log-disk-full-roll", 2);
    auto o = options_for(disk.path / "log");
    o.segment_bytes_max = 10 * (28 + 200);  // a new segment every 10 records
    auto log = open_log(o);
    std::uint64_t acknowledged = 0;
    for (; acknowledged < 25; ++acknowledged)
        BOOST_REQUIRE(log->append(payload_for(acknowledged)).ok());
    disk.fill();
    std::size_t refused = 0;
    for (int tries = 0; tries < 40; ++tries) {
        auto r = log->append(payload_for(acknowledged));
        if (r.ok()) {
            BOOST_REQUIRE_EQUAL(refused, 0u);
            ++acknowledged;
            continue;
        }
        BOOST_REQUIRE_MESSAGE(r.err().code == errc::disk_full, r.err().message);
        ++refused;
    }
    BOOST_REQUIRE_GE(refused, 20u);
    disk.free();
    for (int k = 0; k < 30; ++k) {  // crosses at least two new segments
        auto r = log->append(payload_for(acknowledged));
        BOOST_REQUIRE_MESSAGE(r.ok(), "after freeing space: " << (r.ok() ? "" : r.err().message));
        BOOST_REQUIRE_EQUAL(r->value, acknowledged);
        ++acknowledged;
    }
    check_all(*log, acknowledged);
    log.reset();
    auto again = open_log(o);
    BOOST_CHECK_EQUAL(again->end().value, acknowledged);
    check_all(*again, acknowledged);
}
