// Corruption and backups (issue 23, point 8), through the real `uurwerk` program.
// - A projection store damaged on disk (bytes of an SST file changed, in a copy of a data
//   folder) is found when the node starts, with the command that rebuilds it from the log;
//   that command then brings the node back with the same state.
// - The restore drill: `uurwerk backup` while eight writers stream events into a running
//   server; the data folder is then lost; `uurwerk restore` brings the backup back, the node
//   starts on it with every event acknowledged before the backup began at its offset and with
//   its verdict, its digest equals a rebuild's, and it takes new writes.
// - Both commands have help, and refuse clearly: a target that exists, a source that is not a
//   backup.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <fstream>
#include <mutex>

#include "api/bench/workload.h"
#include "api/http/http_client.h"
#include "api/json/json_read.h"
#include "tests/support/envelopes.h"
#include "tests/support/uurwerk_program.h"

using namespace uurwerk;
using namespace uurwerk::testing;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t workload_seed = 8;
constexpr community_id town{41};

struct acknowledged {
    std::size_t event = 0;
    std::string id, offset, reason;
};

std::string digest_line(const std::string& out) {
    auto at = out.find("digest: ");
    BOOST_REQUIRE_MESSAGE(at != std::string::npos, out);
    return out.substr(at + 8, 64);
}

bool contains(const std::string& text, const std::string& what) {
    return text.find(what) != std::string::npos;
}

// Posts w.events[i]; records it when acknowledged (200 accepted, 409 rejected: in the log).
std::optional<acknowledged> post(std::uint16_t port, const workload& w, std::size_t i) {
    auto r = http_call("127.0.0.1", port, "POST", "/v1/events", envelope_json(w.events[i]));
    if (!r || (r->status != 200 && r->status != 409)) return std::nullopt;
    auto d = json_doc::parse(r->body);
    if (!d) return std::nullopt;
    return acknowledged{i, d->string_at("id").value_or(""), d->string_at("offset").value_or(""),
                        d->string_at("reason").value_or("")};
}

void check_there(std::uint16_t port, const std::vector<acknowledged>& acked) {
    http_call_options as_founder;
    as_founder.authorization = bearer(workload_member_key(workload_seed, 0), town, member_id{1});
    for (const auto& a : acked) {
        auto r = http_call("127.0.0.1", port, "GET", "/v1/communities/41/events/" + a.id, "",
                           as_founder);
        BOOST_REQUIRE(r.ok());
        BOOST_REQUIRE_MESSAGE(r->status == 200, "acknowledged event " + a.id + " is missing");
        auto d = json_doc::parse(r->body).value();
        BOOST_REQUIRE_EQUAL(d.string_at("offset").value_or(""), a.offset);
        BOOST_REQUIRE_EQUAL(d.string_at("reason").value_or(""), a.reason);
    }
}

// `uurwerk serve` on `data` that must fail to start: its output (bounded in time by timeout(1)).
command_result serve_that_fails(const fs::path& data) {
    auto r = run_command(
        {"timeout", "60", program(), "serve", "--data", data.string(), "--listen", "127.0.0.1:0"});
    BOOST_REQUIRE_MESSAGE(
        r.exit_code != 0 && r.exit_code != 124,
        "serve started on a damaged store (exit " << r.exit_code << "): " << r.out);
    return r;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_damaged_store_is_found_at_start_with_the_command_that_rebuilds_it) {
    temp_dir dir("store-damage");
    const auto data = dir.path / "data";
    auto w = make_workload({town, 30, 4000, workload_seed, 0, {}});
    allow_founders_of(data, w.setup);
    {
        server_process server(data);
        for (const auto& b : w.setup)
            BOOST_REQUIRE(
                http_call("127.0.0.1", server.port(), "POST", "/v1/events", envelope_json(b))
                    ->status == 200);
        for (std::size_t i = 0; i < w.events.size(); ++i) post(server.port(), w, i);
        server.stop(SIGTERM);  // a clean stop flushes the store into SST files
    }
    auto healthy = run_uurwerk({"digest", "--data", data.string()});
    BOOST_REQUIRE_MESSAGE(healthy.exit_code == 0, healthy.out);

    // A copy of the folder, one of its SST files damaged in the middle.
    const auto copy = dir.path / "copy";
    fs::copy(data, copy, fs::copy_options::recursive);
    fs::path largest;
    for (const auto& f : fs::directory_iterator(copy / "store"))
        if (f.path().extension() == ".sst" &&
            (largest.empty() || f.file_size() > fs::file_size(largest)))
            largest = f.path();
    BOOST_REQUIRE_MESSAGE(!largest.empty(), "no SST file in the store");
    {
        std::fstream f(largest, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(static_cast<std::streamoff>(fs::file_size(largest) / 3));
        const std::string junk(64, '\x5a');
        f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    }

    // The node refuses to start, saying what is damaged and what to run.
    auto refused = serve_that_fails(copy);
    BOOST_TEST_MESSAGE(refused.out);
    BOOST_CHECK(contains(refused.out, "is damaged"));
    BOOST_CHECK(contains(refused.out, largest.filename().string()) ||
                contains(refused.out, "Corruption"));
    BOOST_CHECK(contains(refused.out, "uurwerk rebuild --data " + copy.string()));
    auto digest_refused = run_uurwerk({"digest", "--data", copy.string()});
    BOOST_CHECK_NE(digest_refused.exit_code, 0);
    BOOST_CHECK(contains(digest_refused.out, "uurwerk rebuild --data " + copy.string()));

    // The command it names brings it back, with the state of the undamaged folder.
    auto rebuilt = run_uurwerk({"rebuild", "--data", copy.string()});
    BOOST_REQUIRE_MESSAGE(rebuilt.exit_code == 0, rebuilt.out);
    BOOST_CHECK_EQUAL(digest_line(rebuilt.out), digest_line(healthy.out));
    {
        server_process server(copy);                         // starts
        BOOST_CHECK(post(server.port(), w, 0).has_value());  // a duplicate: its first verdict
    }
}

BOOST_AUTO_TEST_CASE(restore_drill_a_backup_taken_under_writes_restores_a_lost_data_folder) {
    temp_dir dir("restore-drill");
    const auto data = dir.path / "data";
    const auto backup = dir.path / "backup";
    auto w = make_workload({town, 40, 12000, workload_seed, 0, {}});
    allow_founders_of(data, w.setup);

    std::vector<acknowledged> before_backup;
    std::size_t backup_records = 0;
    {
        server_process server(data);
        for (const auto& b : w.setup)
            BOOST_REQUIRE(
                http_call("127.0.0.1", server.port(), "POST", "/v1/events", envelope_json(b))
                    ->status == 200);
        std::vector<acknowledged> acked;
        std::mutex acked_mutex;
        std::atomic<std::size_t> next{0};
        std::atomic<bool> stop{false};
        std::vector<std::thread> writers;
        for (int c = 0; c < 8; ++c)
            writers.emplace_back([&] {
                for (std::size_t i; !stop && (i = next.fetch_add(1)) < 8000;) {
                    auto a = post(server.port(), w, i);
                    std::lock_guard lock(acked_mutex);
                    if (a) acked.push_back(*a);
                }
            });
        while (next.load() < 3000) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        {
            std::lock_guard lock(acked_mutex);
            before_backup = acked;
        }
        auto made = run_uurwerk({"backup", "--data", data.string(), "--out", backup.string()});
        BOOST_REQUIRE_MESSAGE(made.exit_code == 0, made.out);
        BOOST_TEST_MESSAGE(made.out);
        const std::size_t during = next.load();
        stop = true;
        for (auto& t : writers) t.join();
        BOOST_REQUIRE_GT(during, 3000u + 8);  // the writers wrote while the backup was taken
        auto at = made.out.find(": ");
        BOOST_REQUIRE(at != std::string::npos);
        backup_records = std::stoull(made.out.substr(at + 2));
        BOOST_CHECK_GE(backup_records, before_backup.size() + w.setup.size());

        // A second backup into the same folder is refused; nothing is overwritten.
        auto again = run_uurwerk({"backup", "--data", data.string(), "--out", backup.string()});
        BOOST_CHECK_NE(again.exit_code, 0);
        BOOST_CHECK(contains(again.out, "exists already"));
        server.stop(SIGKILL);
    }
    BOOST_REQUIRE_GT(before_backup.size(), 2000u);

    // The data folder is lost.
    fs::remove_all(data);

    // Restore refuses what is not a backup, and a folder that is in use.
    auto not_backup =
        run_uurwerk({"restore", "--from", dir.path.string(), "--data", data.string()});
    BOOST_CHECK_NE(not_backup.exit_code, 0);
    BOOST_CHECK(contains(not_backup.out, "is not a backup"));
    fs::create_directories(dir.path / "busy");
    std::ofstream(dir.path / "busy" / "something") << "x";
    auto busy =
        run_uurwerk({"restore", "--from", backup.string(), "--data", (dir.path / "busy").string()});
    BOOST_CHECK_NE(busy.exit_code, 0);
    BOOST_CHECK(contains(busy.out, "not empty"));

    auto restored = run_uurwerk({"restore", "--from", backup.string(), "--data", data.string()});
    BOOST_REQUIRE_MESSAGE(restored.exit_code == 0, restored.out);
    BOOST_TEST_MESSAGE(restored.out);
    {
        server_process server(data);  // opens, checks the store
        check_there(server.port(), before_backup);
        // It takes new writes: the rest of the workload goes in.
        std::size_t taken = 0;
        for (std::size_t i = 8000; i < 8500; ++i) taken += post(server.port(), w, i) ? 1 : 0;
        BOOST_CHECK_EQUAL(taken, 500u);
        server.stop(SIGTERM);
    }
    auto live = run_uurwerk({"digest", "--data", data.string()});
    BOOST_REQUIRE_MESSAGE(live.exit_code == 0, live.out);
    auto rebuilt = run_uurwerk({"rebuild", "--data", data.string()});
    BOOST_REQUIRE_MESSAGE(rebuilt.exit_code == 0, rebuilt.out);
    BOOST_CHECK_EQUAL(digest_line(live.out), digest_line(rebuilt.out));
}

BOOST_AUTO_TEST_CASE(backup_and_restore_have_help) {
    for (const std::string cmd : {"backup", "restore"}) {
        auto h = run_uurwerk({cmd, "--help"});
        BOOST_CHECK_EQUAL(h.exit_code, 0);
        BOOST_CHECK(contains(h.out, cmd == "backup" ? "--out" : "--from"));
        BOOST_CHECK(contains(h.out, "--data"));
    }
    auto missing = run_uurwerk({"backup", "--data", "/nonexistent-uurwerk-folder"});
    BOOST_CHECK_NE(missing.exit_code, 0);  // --out is required
}
