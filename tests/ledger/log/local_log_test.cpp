// LocalLog through its public interface: durability and order, group commit, recovery from
// torn tails and damaged records, fault injection, back-pressure, and a kill -9 in miniature.

#include "ledger/log/local_log.h"
#include "tests/support/folder_bytes.h"
#include "tests/support/temp_dir.h"

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

namespace fs = std::filesystem;
using namespace uurwerk;
using uurwerk::testing::folder_bytes;
using uurwerk::testing::temp_dir;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t header_bytes = 28;  // the record header of local_log.h's format
constexpr time_ms fixed_now{1'700'000'000'000};

// Deterministic payload number `i`, 1 to 300 bytes unless a size is given.
bytes payload_for(std::uint64_t i, std::size_t size = 0) {
    if (size == 0) size = 1 + static_cast<std::size_t>((i * 37) % 300);
    bytes b(size);
    for (std::size_t k = 0; k < size; ++k) {
        b[k] = static_cast<std::uint8_t>(i * 131 + k * 7 + (i >> 8) + (i >> 16));
    }
    return b;
}

local_log_options options_for(const fs::path& dir) {
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

std::vector<log_record> read_all(local_log& log) {
    auto r = log.read(offset{0}, 1'000'000, 0ms);
    BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.err().message));
    return std::move(r).value();
}

offset append_ok(local_log& log, bytes payload) {
    auto r = log.append(std::move(payload));
    BOOST_REQUIRE_MESSAGE(r.ok(),
                          (r.ok() ? "" : std::string(name(r.err().code)) + ": " + r.err().message));
    return *r;
}

// Appends payload_for(0..n) and checks each offset.
void append_numbered(local_log& log, std::uint64_t from, std::uint64_t n, std::size_t size = 0) {
    for (std::uint64_t i = from; i < from + n; ++i) {
        BOOST_REQUIRE(append_ok(log, payload_for(i, size)) == offset{i});
    }
}

// Checks that the log holds exactly payload_for(0..n).
void expect_numbered(local_log& log, std::uint64_t n, std::size_t size = 0) {
    BOOST_TEST(log.end() == offset{n});
    const auto records = read_all(log);
    BOOST_REQUIRE_EQUAL(records.size(), n);
    for (std::uint64_t i = 0; i < n; ++i) {
        BOOST_TEST(records[i].at == offset{i});
        BOOST_TEST((records[i].payload == payload_for(i, size)), "payload of record " << i);
    }
}

std::vector<fs::path> segment_files(const fs::path& dir) {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir)) {
        const std::string name = e.path().filename().string();
        if (name.starts_with("log-") && name.ends_with(".seg")) out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

void flip_byte(const fs::path& file, std::uint64_t at) {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    BOOST_REQUIRE(f);
    f.seekg(static_cast<std::streamoff>(at));
    char c = 0;
    f.read(&c, 1);
    BOOST_REQUIRE(f);
    c = static_cast<char>(c ^ 0x5a);
    f.seekp(static_cast<std::streamoff>(at));
    f.write(&c, 1);
    BOOST_REQUIRE(f);
}

void append_bytes(const fs::path& file, const bytes& b) {
    std::ofstream f(file, std::ios::binary | std::ios::app);
    f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    BOOST_REQUIRE(f);
}

// A clock the test holds shut: the writer thread calls it once per group commit and stays
// inside until the test opens the gate. This makes "what is queued while a write is under
// way" deterministic.
struct clock_gate {
    std::mutex mutex;
    std::condition_variable changed;
    bool open = false;
    int entered = 0;

    time_ms tick() {
        std::unique_lock lock(mutex);
        ++entered;
        changed.notify_all();
        changed.wait(lock, [&] { return open; });
        return fixed_now;
    }
    void wait_entered(int n) {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return entered >= n; });
    }
    void release() {
        std::lock_guard lock(mutex);
        open = true;
        changed.notify_all();
    }
    // Holds the next tick again, counting entries from zero.
    void close() {
        std::lock_guard lock(mutex);
        open = false;
        entered = 0;
    }
};

// Counts callbacks and remembers them in the order they ran.
struct callback_log {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<result<offset>> results;

    append_callback callback() {
        return [this](result<offset> r) {
            std::lock_guard lock(mutex);
            results.push_back(std::move(r));
            changed.notify_all();
        };
    }
    void wait_for(std::size_t n) {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return results.size() >= n; });
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(local_log_suite)

BOOST_AUTO_TEST_CASE(appends_are_read_back_in_order_with_their_offsets) {
    temp_dir dir;
    auto log = open_log(options_for(dir.path));
    BOOST_TEST(log->end() == offset{0});
    BOOST_TEST(log->truncated_bytes_at_open() == 0u);
    append_numbered(*log, 0, 100);
    expect_numbered(*log, 100);

    const auto records = read_all(*log);
    for (const auto& r : records) BOOST_TEST(r.appended_at == fixed_now);

    auto middle = log->read(offset{10}, 5, 0ms);
    BOOST_REQUIRE(middle.ok());
    BOOST_REQUIRE_EQUAL(middle->size(), 5u);
    for (std::uint64_t i = 0; i < 5; ++i) {
        BOOST_TEST((*middle)[i].at == offset{10 + i});
        BOOST_TEST(((*middle)[i].payload == payload_for(10 + i)));
    }
    auto tail = log->read(offset{98}, 100, 0ms);
    BOOST_REQUIRE(tail.ok());
    BOOST_TEST(tail->size() == 2u);
    auto none = log->read(offset{0}, 0, 0ms);
    BOOST_REQUIRE(none.ok());
    BOOST_TEST(none->empty());
}

BOOST_AUTO_TEST_CASE(reopen_keeps_every_acknowledged_record) {
    temp_dir dir;
    {
        auto log = open_log(options_for(dir.path));
        append_numbered(*log, 0, 200);
    }
    {
        auto log = open_log(options_for(dir.path));
        BOOST_TEST(log->truncated_bytes_at_open() == 0u);
        expect_numbered(*log, 200);
        append_numbered(*log, 200, 1);
    }
    auto log = open_log(options_for(dir.path));
    BOOST_TEST(log->truncated_bytes_at_open() == 0u);
    expect_numbered(*log, 201);
}

BOOST_AUTO_TEST_CASE(
    concurrent_appends_from_8_threads_get_unique_consecutive_offsets_and_share_syncs) {
    constexpr std::uint64_t threads = 8;
    constexpr std::uint64_t per_thread = 500;
    temp_dir dir;
    auto log = open_log(options_for(dir.path));

    std::vector<std::vector<std::pair<offset, std::uint64_t>>> got(threads);
    std::atomic<int> failures{0};
    {
        std::vector<std::thread> workers;
        for (std::uint64_t t = 0; t < threads; ++t) {
            workers.emplace_back([&, t] {
                for (std::uint64_t k = 0; k < per_thread; ++k) {
                    const std::uint64_t id = t * 100'000 + k;
                    auto r = log->append(payload_for(id));
                    if (!r) {
                        ++failures;
                        return;
                    }
                    got[t].emplace_back(*r, id);
                }
            });
        }
        for (auto& w : workers) w.join();
    }
    BOOST_REQUIRE_EQUAL(failures.load(), 0);

    std::map<std::uint64_t, std::uint64_t> id_at;  // offset -> payload number
    for (const auto& per : got) {
        // Each thread's own appends are ordered.
        for (std::size_t k = 1; k < per.size(); ++k) BOOST_TEST(per[k - 1].first < per[k].first);
        for (const auto& [at, id] : per) {
            BOOST_TEST(id_at.emplace(at.value, id).second, "offset " << at << " given twice");
        }
    }
    constexpr std::uint64_t total = threads * per_thread;
    BOOST_REQUIRE_EQUAL(id_at.size(), total);
    BOOST_TEST(id_at.begin()->first == 0u);
    BOOST_TEST(id_at.rbegin()->first == total - 1);
    BOOST_TEST(log->end() == offset{total});

    const auto records = read_all(*log);
    BOOST_REQUIRE_EQUAL(records.size(), total);
    for (const auto& r : records) {
        BOOST_TEST((r.payload == payload_for(id_at.at(r.at.value))), "payload at " << r.at);
    }
    BOOST_TEST_MESSAGE(total << " appends from " << threads << " threads took " << log->syncs()
                             << " syncs");
    BOOST_TEST(log->syncs() >= 1u);
    BOOST_TEST(log->syncs() < total);
}

BOOST_AUTO_TEST_CASE(appends_queued_while_a_sync_is_under_way_share_the_next_one) {
    temp_dir dir;
    auto gate = std::make_shared<clock_gate>();
    auto o = options_for(dir.path);
    o.clock = [gate] { return gate->tick(); };
    callback_log done;
    {
        auto log = open_log(o);
        BOOST_REQUIRE(log->append_async(payload_for(0), done.callback()).ok());
        gate->wait_entered(1);        // the writer holds the first append and waits on the clock
        std::atomic<int> refused{0};  // Boost.Test's assertions are for the main thread only
        std::vector<std::thread> workers;
        for (std::uint64_t t = 0; t < 8; ++t) {
            workers.emplace_back([&, t] {
                for (std::uint64_t k = 0; k < 50; ++k) {
                    if (!log->append_async(payload_for(1 + t * 50 + k), done.callback())) {
                        ++refused;
                    }
                }
            });
        }
        for (auto& w : workers) w.join();
        gate->release();
        BOOST_REQUIRE_EQUAL(refused.load(), 0);
        done.wait_for(401);
        BOOST_TEST(log->syncs() == 2u);  // the first append alone, then the 400 queued behind it
        BOOST_TEST(log->end() == offset{401});
    }
    BOOST_REQUIRE_EQUAL(done.results.size(), 401u);
    for (std::uint64_t i = 0; i < 401; ++i) {
        BOOST_REQUIRE(done.results[i].ok());
        BOOST_TEST(done.results[i].value() == offset{i}, "callbacks run in offset order");
    }
}

BOOST_AUTO_TEST_CASE(busy_appenders_linger_for_announced_appends_and_a_lone_one_never_waits) {
    temp_dir dir;
    auto gate = std::make_shared<clock_gate>();
    auto o = options_for(dir.path);
    o.clock = [gate] { return gate->tick(); };
    o.group_commit_linger = std::chrono::seconds(60);  // far beyond this test: waits are visible
    o.group_commit_records = 8;
    callback_log done;
    auto log = open_log(o);
    // Make the appenders busy: the first append alone (the gate holds it), then 20 queued
    // behind it share the next sync.
    auto make_busy = [&](std::uint64_t first) {
        gate->close();
        const auto syncs_before = log->syncs();
        BOOST_REQUIRE(log->append_async(payload_for(first), done.callback()).ok());
        gate->wait_entered(1);
        for (std::uint64_t i = first + 1; i <= first + 20; ++i)
            BOOST_REQUIRE(log->append_async(payload_for(i), done.callback()).ok());
        gate->release();
        done.wait_for(first + 21);
        BOOST_REQUIRE_EQUAL(log->syncs(), syncs_before + 2);  // the first alone, then 20
    };
    make_busy(0);
    BOOST_TEST(log->syncs() == 2u);

    // Busy, and appends are on their way: the writer waits for the eighth record.
    std::vector<append_intent> coming;
    for (int i = 0; i < 3; ++i) coming.push_back(log->announce_append());
    BOOST_TEST(log->appends_coming() == 3u);
    for (std::uint64_t i = 21; i < 28; ++i)
        BOOST_REQUIRE(log->append_async(payload_for(i), done.callback()).ok());
    std::this_thread::sleep_for(300ms);
    BOOST_TEST(log->end() == offset{21}, "seven records wait for the eighth");
    BOOST_TEST(log->syncs() == 2u);
    BOOST_REQUIRE(log->append_async(payload_for(28), done.callback()).ok());
    done.wait_for(29);  // the eighth completes the group at once (well before the 60 s)
    BOOST_TEST(log->syncs() == 3u);

    // Busy again, fewer than eight queued: the writer waits while one is on its way, and stops
    // waiting when the last intent ends, whether its append came (moved-from intents end
    // nothing) or not.
    for (std::uint64_t i = 29; i < 32; ++i)
        BOOST_REQUIRE(log->append_async(payload_for(i), done.callback()).ok());
    std::this_thread::sleep_for(300ms);
    BOOST_TEST(log->end() == offset{29}, "three records wait while appends are on their way");
    append_intent moved = std::move(coming[0]);
    coming[0].release();
    coming.pop_back();
    coming.pop_back();
    BOOST_TEST(log->appends_coming() == 1u);
    std::this_thread::sleep_for(300ms);
    BOOST_TEST(log->end() == offset{29}, "one is still on its way");
    moved.release();
    BOOST_TEST(log->appends_coming() == 0u);
    done.wait_for(32);  // at once, not after the 60 s linger
    BOOST_TEST(log->syncs() == 4u);

    // Busy, and nothing announced: nobody is coming, so the writer does not wait.
    make_busy(32);
    const auto t_none = std::chrono::steady_clock::now();
    for (std::uint64_t i = 53; i < 56; ++i)
        BOOST_REQUIRE(log->append_async(payload_for(i), done.callback()).ok());
    done.wait_for(56);
    BOOST_TEST((std::chrono::steady_clock::now() - t_none < std::chrono::seconds(30)),
               "nothing announced: no linger");

    // Busy, two announced: the first append that ends its intent with it leaves one on its way
    // and waits; the second ends the last, and both share one sync at once.
    make_busy(56);
    const auto syncs_before = log->syncs();
    auto first = log->announce_append(), second = log->announce_append();
    BOOST_REQUIRE(log->append_announced(payload_for(77), done.callback(), std::move(first)).ok());
    BOOST_TEST(log->appends_coming() == 1u);
    std::this_thread::sleep_for(300ms);
    BOOST_TEST(log->end() == offset{77}, "one record waits for the one still announced");
    BOOST_REQUIRE(log->append_announced(payload_for(78), done.callback(), std::move(second)).ok());
    BOOST_TEST(log->appends_coming() == 0u);
    done.wait_for(79);  // at once, not after the 60 s linger
    BOOST_TEST(log->syncs() == syncs_before + 1);
    // A refused append ends its intent too.
    auto refused = log->announce_append();
    BOOST_TEST(!log->append_announced(bytes{}, done.callback(), std::move(refused)).ok());
    BOOST_TEST(log->appends_coming() == 0u);

    // Every callback ran, in offset order.
    log.reset();
    BOOST_REQUIRE_EQUAL(done.results.size(), 79u);
    for (std::uint64_t i = 0; i < 79; ++i) BOOST_TEST(done.results[i].value() == offset{i});

    auto lone = open_log(o);  // gate open, 60 s linger: one record at a time is never held
    auto announced = lone->announce_append();
    const auto t0 = std::chrono::steady_clock::now();
    for (std::uint64_t i = 79; i < 99; ++i)
        BOOST_TEST(append_ok(*lone, payload_for(i)) == offset{i});
    BOOST_TEST(lone->syncs() == 20u);
    BOOST_TEST((std::chrono::steady_clock::now() - t0 < std::chrono::seconds(30)),
               "twenty lone appends took no linger, even with an append announced");
}

namespace {

// Writes records 0..9, closes, damages the only segment with `damage`, reopens and checks
// that exactly `kept` records remain, that `cut_bytes` were cut, and that appends continue.
void check_torn_tail(const std::function<void(const fs::path& segment)>& damage, std::uint64_t kept,
                     std::uint64_t cut_bytes) {
    temp_dir dir;
    {
        auto log = open_log(options_for(dir.path));
        append_numbered(*log, 0, 10);
    }
    auto files = segment_files(dir.path);
    BOOST_REQUIRE_EQUAL(files.size(), 1u);
    damage(files[0]);
    {
        auto log = open_log(options_for(dir.path));
        BOOST_TEST(log->truncated_bytes_at_open() == cut_bytes);
        expect_numbered(*log, kept);
        auto beyond = log->read(offset{kept}, 10, 0ms);
        BOOST_REQUIRE(beyond.ok());
        BOOST_TEST(beyond->empty());
        append_numbered(*log, kept, 3);
    }
    auto log = open_log(options_for(dir.path));
    BOOST_TEST(log->truncated_bytes_at_open() == 0u);
    expect_numbered(*log, kept + 3);
}

std::uint64_t record_bytes(std::uint64_t i) {
    return header_bytes + payload_for(i).size();
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_torn_tail_is_cut_on_recovery_and_never_read) {
    BOOST_TEST_CONTEXT("garbage after the last record") {
        const bytes garbage = {0x75, 0x75, 0x72, 0x77, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        check_torn_tail([&](const fs::path& f) { append_bytes(f, garbage); }, 10, garbage.size());
    }
    BOOST_TEST_CONTEXT("the last record cut short in its payload") {
        check_torn_tail([](const fs::path& f) { fs::resize_file(f, fs::file_size(f) - 5); }, 9,
                        record_bytes(9) - 5);
    }
    BOOST_TEST_CONTEXT("the last record cut short in its header") {
        check_torn_tail(
            [](const fs::path& f) {
                fs::resize_file(f, fs::file_size(f) - record_bytes(9) + header_bytes - 3);
            },
            9, header_bytes - 3);
    }
    BOOST_TEST_CONTEXT("a flipped byte in the last record's payload") {
        check_torn_tail([](const fs::path& f) { flip_byte(f, fs::file_size(f) - 1); }, 9,
                        record_bytes(9));
    }
}

namespace {

// Opens the damaged log in `dir` and checks that it is refused as corrupt with a message that
// names each of `says`, and that the folder is byte for byte as it was.
void expect_refused_as_corrupt(const local_log_options& o, const std::vector<std::string>& says) {
    const auto before = folder_bytes(o.dir);
    auto opened = local_log::open(o);
    BOOST_REQUIRE_MESSAGE(!opened.ok(), "a log damaged in the middle was opened");
    BOOST_TEST(opened.err().code == errc::corrupt_log);
    for (const auto& s : says)
        BOOST_TEST(opened.err().message.find(s) != std::string::npos,
                   "'" << s << "' in: " << opened.err().message);
    BOOST_TEST((folder_bytes(o.dir) == before), "the folder was changed");
    // And again: a refused open leaves nothing behind that would let a second one through.
    auto again = local_log::open(o);
    BOOST_REQUIRE(!again.ok());
    BOOST_TEST(again.err().code == errc::corrupt_log);
    BOOST_TEST((folder_bytes(o.dir) == before), "the folder was changed");
}

std::uint64_t position_of(std::uint64_t record) {
    std::uint64_t at = 0;
    for (std::uint64_t i = 0; i < record; ++i) at += record_bytes(i);
    return at;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_flipped_bit_in_a_middle_record_refuses_the_open_and_keeps_every_byte) {
    const std::vector<std::pair<std::string, std::uint64_t>> where = {
        {"the magic number is wrong", 0},           {"the payload length is out of bounds", 7},
        {"the record carries the wrong offset", 9}, {"the CRC does not match", 20},
        {"the CRC does not match", header_bytes},  // the payload's first byte
    };
    for (const auto& [what, byte] : where) {
        BOOST_TEST_CONTEXT("a flipped bit at byte " << byte << " of record 7 of 20") {
            temp_dir dir;
            {
                auto log = open_log(options_for(dir.path));
                append_numbered(*log, 0, 20);
            }
            const auto file = segment_files(dir.path)[0];
            flip_byte(file, position_of(7) + byte);
            expect_refused_as_corrupt(
                options_for(dir.path),
                {what, "record 7 at byte " + std::to_string(position_of(7)),
                 file.filename().string(),
                 "offset 8) follows it at byte " + std::to_string(position_of(8)), "backup",
                 "Kafka", "uurwerk rebuild"});
        }
    }
}

BOOST_AUTO_TEST_CASE(a_flipped_bit_in_an_earlier_segment_refuses_the_open_and_keeps_every_file) {
    // 100-byte payloads make 128-byte records: two fit in a 300-byte segment.
    constexpr std::size_t size = 100;
    for (const std::uint64_t record : {8, 9}) {
        BOOST_TEST_CONTEXT("record " << record << ", the segment's first or last") {
            temp_dir dir;
            auto o = options_for(dir.path);
            o.segment_bytes_max = 300;
            {
                auto log = open_log(o);
                append_numbered(*log, 0, 20, size);
            }
            auto files = segment_files(dir.path);
            BOOST_REQUIRE_EQUAL(files.size(), 10u);
            BOOST_TEST(files[4].filename() == "log-00000000000000000008.seg");
            const std::uint64_t at = (record - 8) * 128;
            flip_byte(files[4], at + header_bytes + 50);  // in the payload
            expect_refused_as_corrupt(
                o, {"record " + std::to_string(record) + " at byte " + std::to_string(at) +
                        " of log-00000000000000000008.seg",
                    "the CRC does not match", "5 later segment file(s) follow it",
                    "log-00000000000000000010.seg"});
        }
    }
    BOOST_TEST_CONTEXT("an earlier segment cut short, as a crash never leaves it") {
        temp_dir dir;
        auto o = options_for(dir.path);
        o.segment_bytes_max = 300;
        {
            auto log = open_log(o);
            append_numbered(*log, 0, 20, size);
        }
        const auto file = segment_files(dir.path)[2];
        fs::resize_file(file, fs::file_size(file) - 1);
        expect_refused_as_corrupt(o, {"record 5 at byte 128 of log-00000000000000000004.seg",
                                      "the payload is cut short"});
    }
}

BOOST_AUTO_TEST_CASE(a_bad_record_in_the_last_segment_with_a_good_one_after_it_is_refused) {
    // The last of several segments, damaged in its middle, with no tail torn.
    constexpr std::size_t size = 100;
    temp_dir dir;
    auto o = options_for(dir.path);
    o.segment_bytes_max = 1000;  // seven 128-byte records a segment
    {
        auto log = open_log(o);
        append_numbered(*log, 0, 10, size);
    }
    auto files = segment_files(dir.path);
    BOOST_REQUIRE_EQUAL(files.size(), 2u);
    flip_byte(files[1], 128 + 7);  // the high byte of record 8's length
    expect_refused_as_corrupt(
        o, {"record 8 at byte 128 of log-00000000000000000007.seg",
            "the payload length is out of bounds", "offset 9) follows it at byte 256"});
}

BOOST_AUTO_TEST_CASE(a_torn_tail_after_good_records_is_still_cut_when_its_bytes_look_like_records) {
    BOOST_TEST_CONTEXT("zeros after the last record") {
        check_torn_tail([](const fs::path& f) { append_bytes(f, bytes(5000, 0)); }, 10, 5000);
    }
    BOOST_TEST_CONTEXT("records with the next offsets whose CRC does not check") {
        // Each: the magic, length 5, offset 10 + k, a time, a CRC of zeros, 5 payload bytes.
        bytes junk;
        for (std::uint8_t k = 0; k < 50; ++k) {
            junk.insert(junk.end(), {0x75, 0x75, 0x72, 0x77, 5, 0, 0, 0});
            junk.insert(junk.end(), {static_cast<std::uint8_t>(10 + k), 0, 0, 0, 0, 0, 0, 0});
            junk.insert(junk.end(), 8 + 4 + 5, 0);
        }
        check_torn_tail([&](const fs::path& f) { append_bytes(f, junk); }, 10, junk.size());
    }
    BOOST_TEST_CONTEXT("a copy of an earlier record after the last: its offset is not plausible") {
        check_torn_tail(
            [](const fs::path& f) {
                std::ifstream in(f, std::ios::binary);
                bytes first(record_bytes(0));
                in.read(reinterpret_cast<char*>(first.data()),
                        static_cast<std::streamsize>(first.size()));
                bytes tail = {0x75, 0x75};  // a torn header, then the copy
                tail.insert(tail.end(), first.begin(), first.end());
                append_bytes(f, tail);
            },
            10, 2 + record_bytes(0));
    }
}

BOOST_AUTO_TEST_CASE(a_record_damaged_on_disk_after_it_was_written_is_reported_when_read) {
    temp_dir dir;
    auto log = open_log(options_for(dir.path));
    append_numbered(*log, 0, 3);
    flip_byte(segment_files(dir.path)[0], record_bytes(0) + header_bytes);  // record 1
    auto whole = log->read(offset{0}, 10, 0ms);
    BOOST_REQUIRE(!whole.ok());
    BOOST_TEST(whole.err().code == errc::bad_record);
    BOOST_TEST(whole.err().message.find("record 1 ") != std::string::npos, whole.err().message);
    auto before = log->read(offset{0}, 1, 0ms);
    BOOST_REQUIRE(before.ok());
    BOOST_TEST(before->size() == 1u);
    auto after = log->read(offset{2}, 10, 0ms);
    BOOST_REQUIRE(after.ok());
    BOOST_TEST(after->size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_failed_sync_is_never_acknowledged) {
    temp_dir dir;
    auto o = options_for(dir.path);
    o.fail_sync_from = 3;
    {
        auto log = open_log(o);
        append_numbered(*log, 0, 2);
        auto third = log->append(payload_for(2));
        BOOST_REQUIRE(!third.ok());
        BOOST_TEST(third.err().code == errc::io_error);
        auto fourth = log->append(payload_for(3));
        BOOST_REQUIRE(!fourth.ok());
        BOOST_TEST(fourth.err().code == errc::io_error);
        BOOST_TEST(log->end() == offset{2});
        auto waited = log->read(offset{2}, 10, 20ms);
        BOOST_REQUIRE(waited.ok());
        BOOST_TEST(waited->empty());
        expect_numbered(*log, 2);
    }
    // The bytes of the failed write were taken back out: reopening finds the two records.
    auto log = open_log(options_for(dir.path));
    BOOST_TEST(log->truncated_bytes_at_open() == 0u);
    expect_numbered(*log, 2);
    append_numbered(*log, 2, 1);
}

// What a group's records depend on (the node's texts) is made durable before any byte of them is
// in the segment: the kernel may write dirty pages back at any moment, so a record written before
// it could reach the disk first. A failing before_sync leaves nothing of its group in the file.
BOOST_AUTO_TEST_CASE(before_sync_runs_before_the_group_is_written_and_a_failure_writes_nothing) {
    temp_dir dir;
    auto o = options_for(dir.path);
    std::vector<std::uintmax_t> seen;  // the segments' bytes at each call
    std::atomic<bool> refuse{false};
    o.before_sync = [&]() -> result<void> {
        std::uintmax_t total = 0;
        for (const auto& f : segment_files(dir.path)) total += fs::file_size(f);
        seen.push_back(total);
        if (refuse.load()) return make_error(errc::store_error, "texts could not be synced");
        return ok_value;
    };
    std::uintmax_t after_two = 0;
    {
        auto log = open_log(o);
        append_numbered(*log, 0, 2, 100);  // one at a time: a group each
        BOOST_REQUIRE_EQUAL(seen.size(), 2u);
        BOOST_TEST(seen[0] == 0u);
        BOOST_TEST(seen[1] == header_bytes + 100u);  // the first record only
        for (const auto& f : segment_files(dir.path)) after_two += fs::file_size(f);
        BOOST_TEST(after_two == 2 * (header_bytes + 100u));

        refuse = true;
        auto third = log->append(payload_for(2, 100));
        BOOST_REQUIRE(!third.ok());
        BOOST_TEST(third.err().code == errc::store_error);
        BOOST_TEST(log->end() == offset{2});
        std::uintmax_t now = 0;
        for (const auto& f : segment_files(dir.path)) now += fs::file_size(f);
        BOOST_TEST(now == after_two);  // not a byte of the refused record
    }
    auto log = open_log(options_for(dir.path));
    BOOST_TEST(log->truncated_bytes_at_open() == 0u);
    expect_numbered(*log, 2, 100);
}

BOOST_AUTO_TEST_CASE(oversized_and_empty_payloads_are_refused) {
    temp_dir dir;
    auto log = open_log(options_for(dir.path));
    std::atomic<int> called{0};
    auto count = [&](result<offset>) { ++called; };

    auto empty = log->append_async(bytes{}, count);
    BOOST_REQUIRE(!empty.ok());
    BOOST_TEST(empty.err().code == errc::bad_record);
    auto oversized = log->append_async(bytes(envelope_bytes_max + 1, 7), count);
    BOOST_REQUIRE(!oversized.ok());
    BOOST_TEST(oversized.err().code == errc::bad_record);
    auto blocking = log->append(bytes(envelope_bytes_max + 1, 7));
    BOOST_REQUIRE(!blocking.ok());
    BOOST_TEST(blocking.err().code == errc::bad_record);

    BOOST_TEST(append_ok(*log, bytes(envelope_bytes_max, 7)) == offset{0});
    BOOST_TEST(called.load() == 0);
    BOOST_TEST(log->end() == offset{1});
    auto records = read_all(*log);
    BOOST_REQUIRE_EQUAL(records.size(), 1u);
    BOOST_TEST(records[0].payload.size() == envelope_bytes_max);
}

BOOST_AUTO_TEST_CASE(reading_waits_for_a_record_until_the_timeout) {
    temp_dir dir;
    auto log = open_log(options_for(dir.path));

    const auto started = std::chrono::steady_clock::now();
    auto nothing = log->read(offset{0}, 10, 50ms);
    BOOST_REQUIRE(nothing.ok());
    BOOST_TEST(nothing->empty());
    BOOST_TEST((std::chrono::steady_clock::now() - started >= 50ms));

    std::atomic<bool> appended{false};
    std::thread appender([&] {
        std::this_thread::sleep_for(30ms);
        appended = log->append(payload_for(0)).ok();
    });
    auto one = log->read(offset{0}, 10, 10s);
    appender.join();
    BOOST_TEST(appended.load());
    BOOST_REQUIRE(one.ok());
    BOOST_REQUIRE_EQUAL(one->size(), 1u);
    BOOST_TEST(((*one)[0].payload == payload_for(0)));

    // Past the end: waits, then nothing.
    auto beyond = log->read(offset{5}, 10, 10ms);
    BOOST_REQUIRE(beyond.ok());
    BOOST_TEST(beyond->empty());
}

BOOST_AUTO_TEST_CASE(records_span_segments_and_survive_reopen) {
    temp_dir dir;
    auto o = options_for(dir.path);
    o.segment_bytes_max = 512;
    {
        auto log = open_log(o);
        append_numbered(*log, 0, 60);
        expect_numbered(*log, 60);
    }
    const auto files = segment_files(dir.path);
    BOOST_TEST(files.size() > 10u);
    for (const auto& f : files) {
        // A segment passes the limit only when it holds a single record bigger than it.
        BOOST_TEST(fs::file_size(f) <= o.segment_bytes_max);
    }
    auto log = open_log(o);
    BOOST_TEST(log->truncated_bytes_at_open() == 0u);
    expect_numbered(*log, 60);
    for (std::uint64_t from = 0; from < 60; from += 7) {
        auto some = log->read(offset{from}, 13, 0ms);
        BOOST_REQUIRE(some.ok());
        BOOST_REQUIRE_EQUAL(some->size(), std::min<std::uint64_t>(13, 60 - from));
        for (std::size_t k = 0; k < some->size(); ++k) {
            BOOST_TEST((*some)[k].at == offset{from + k});
            BOOST_TEST(((*some)[k].payload == payload_for(from + k)));
        }
    }
    append_numbered(*log, 60, 10);
    expect_numbered(*log, 70);
}

BOOST_AUTO_TEST_CASE(appended_at_is_monotonic_with_a_clock_that_goes_backwards) {
    temp_dir dir;
    auto o = options_for(dir.path);
    auto ticks = std::make_shared<std::vector<std::int64_t>>(
        std::vector<std::int64_t>{100, 50, 200, 10, 300});
    auto calls = std::make_shared<std::size_t>(0);
    o.clock = [ticks, calls] { return time_ms{(*ticks)[(*calls)++ % ticks->size()]}; };
    {
        auto log = open_log(o);
        append_numbered(*log, 0, 5);
        const auto records = read_all(*log);
        const std::vector<std::int64_t> expected = {100, 100, 200, 200, 300};
        BOOST_REQUIRE_EQUAL(records.size(), expected.size());
        for (std::size_t i = 0; i < expected.size(); ++i) {
            BOOST_TEST(records[i].appended_at.value == expected[i]);
        }
    }
    // Across a restart too: the clock starts where the log left off.
    o.clock = [] { return time_ms{5}; };
    auto log = open_log(o);
    append_numbered(*log, 5, 1);
    const auto records = read_all(*log);
    BOOST_TEST(records.back().appended_at.value == 300);
}

BOOST_AUTO_TEST_CASE(appends_beyond_pending_appends_max_are_refused_as_log_full) {
    temp_dir dir;
    auto gate = std::make_shared<clock_gate>();
    auto o = options_for(dir.path);
    o.pending_appends_max = 4;
    o.clock = [gate] { return gate->tick(); };
    callback_log done;
    auto log = open_log(o);
    BOOST_REQUIRE(log->append_async(payload_for(0), done.callback()).ok());
    gate->wait_entered(1);  // the first append is being written and stays so
    for (std::uint64_t i = 1; i < 4; ++i) {
        BOOST_REQUIRE(log->append_async(payload_for(i), done.callback()).ok());
    }
    auto full = log->append_async(payload_for(4), done.callback());
    BOOST_REQUIRE(!full.ok());
    BOOST_TEST(full.err().code == errc::log_full);
    gate->release();
    done.wait_for(4);
    BOOST_TEST(log->append_async(payload_for(4), done.callback()).ok());
    done.wait_for(5);
    BOOST_REQUIRE_EQUAL(done.results.size(), 5u);
    for (std::uint64_t i = 0; i < 5; ++i) BOOST_TEST(done.results[i].value() == offset{i});
}

BOOST_AUTO_TEST_CASE(closing_the_log_finishes_every_queued_append) {
    temp_dir dir;
    callback_log done;
    {
        auto log = open_log(options_for(dir.path));
        for (std::uint64_t i = 0; i < 300; ++i) {
            BOOST_REQUIRE(log->append_async(payload_for(i), done.callback()).ok());
        }
    }
    BOOST_REQUIRE_EQUAL(done.results.size(), 300u);
    for (std::uint64_t i = 0; i < 300; ++i) BOOST_TEST(done.results[i].value() == offset{i});
    auto log = open_log(options_for(dir.path));
    expect_numbered(*log, 300);
}

BOOST_AUTO_TEST_CASE(a_folder_holds_one_open_log_at_a_time) {
    temp_dir dir;
    auto first = open_log(options_for(dir.path));
    auto second = local_log::open(options_for(dir.path));
    BOOST_REQUIRE(!second.ok());
    BOOST_TEST(second.err().code == errc::log_unavailable);
    first.reset();
    auto third = local_log::open(options_for(dir.path));
    BOOST_TEST(third.ok());
}

// kill -9 in miniature: a child appends from four threads and reports each acknowledged
// (offset, payload number) through a pipe; it is killed mid-stride. Every record it reported
// must be there after recovery, with its payload.
BOOST_AUTO_TEST_CASE(a_process_killed_at_any_moment_keeps_every_acknowledged_record) {
    temp_dir dir;
    int fds[2];
    BOOST_REQUIRE(::pipe(fds) == 0);
    const pid_t child = ::fork();
    BOOST_REQUIRE(child >= 0);
    if (child == 0) {
        // The child: no Boost.Test here, and it never returns.
        ::close(fds[0]);
        auto opened = local_log::open(options_for(dir.path));
        if (!opened) ::_exit(2);
        auto& log = **opened;
        const auto give_up = std::chrono::steady_clock::now() + 10s;
        std::vector<std::thread> workers;
        for (std::uint64_t t = 0; t < 4; ++t) {
            workers.emplace_back([&, t] {
                for (std::uint64_t k = 0; std::chrono::steady_clock::now() < give_up; ++k) {
                    const std::uint64_t id = t * 1'000'000 + k;
                    auto r = log.append(payload_for(id));
                    if (!r) ::_exit(3);
                    std::uint64_t pair[2] = {r->value, id};
                    if (::write(fds[1], pair, sizeof pair) != sizeof pair) ::_exit(4);
                }
            });
        }
        for (auto& w : workers) w.join();
        ::_exit(5);
    }
    ::close(fds[1]);

    std::vector<std::uint8_t> reported;
    auto drain = [&](int timeout_ms) {
        pollfd p{fds[0], POLLIN, 0};
        if (::poll(&p, 1, timeout_ms) <= 0) return false;
        std::uint8_t buf[65536];
        const ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n <= 0) return false;
        reported.insert(reported.end(), buf, buf + n);
        return true;
    };
    const auto kill_at = std::chrono::steady_clock::now() + 200ms;
    while (std::chrono::steady_clock::now() < kill_at) drain(10);
    BOOST_REQUIRE(::kill(child, SIGKILL) == 0);
    int status = 0;
    BOOST_REQUIRE(::waitpid(child, &status, 0) == child);
    BOOST_TEST((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL),
               "the child ended on its own with status " << status);
    while (drain(0)) {
    }
    ::close(fds[0]);

    const std::size_t acks = reported.size() / 16;
    BOOST_TEST_MESSAGE("the child had " << acks << " appends acknowledged when it was killed");
    BOOST_REQUIRE(acks > 0u);
    auto log = open_log(options_for(dir.path));
    BOOST_TEST_MESSAGE("recovery cut " << log->truncated_bytes_at_open() << " bytes; the log has "
                                       << log->end() << " records");
    const auto records = read_all(*log);
    BOOST_TEST(records.size() >= acks);
    for (std::size_t i = 0; i < acks; ++i) {
        std::uint64_t pair[2];
        std::memcpy(pair, reported.data() + i * 16, sizeof pair);
        BOOST_REQUIRE_MESSAGE(pair[0] < records.size(),
                              "acknowledged offset " << pair[0] << " is gone after the crash");
        BOOST_TEST((records[pair[0]].payload == payload_for(pair[1])), "payload at " << pair[0]);
    }
}

BOOST_AUTO_TEST_SUITE_END()
