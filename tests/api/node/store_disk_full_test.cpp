// The projection store (RocksDB) on a disk that fills up, opened as a node opens it
// (open_checked_store). With its WAL off the store writes to disk only when it flushes. A flush
// on a full disk either fails with "disk_full" or, with Debian's RocksDB 7.8.3 (built with its
// assertions on), aborts the process (WritableFileWriter: "sync_without_flush_called_"), as
// does opening the store on a full disk (it writes a new MANIFEST): this runs in a child
// process and accepts either. What must hold either way, and README.md ("A full disk")
// tells operators: once space is freed the store opens again, its checksums verify and what it
// flushed before is intact (the node then folds the rest from the log).
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api/node/node.h"
#include "tests/support/small_disk.h"

using namespace uurwerk;
using uurwerk::testing::small_disk;

namespace {

std::string key_of(int i) {
    return "k" + std::to_string(1000000 + i);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_flush_on_a_full_disk_fails_or_aborts_and_the_store_reopens_intact) {
    small_disk disk("store-disk-full", 16);
    const auto dir = disk.path / "store";
    const std::string value(1000, 'v');
    // Every use of RocksDB before the last open is in a child process: a child forked from a
    // process that has RocksDB's background threads would inherit them dead.
    const pid_t first = ::fork();
    BOOST_REQUIRE(first >= 0);
    if (first == 0) {
        auto db = open_checked_store(dir);
        if (!db) ::_exit(3);
        for (int i = 0; i < 100; ++i) {
            auto b = (*db)->make_batch();
            b.put(column::state, key_of(i), value);
            if (!(*db)->write(b)) ::_exit(3);
        }
        ::_exit((*db)->flush() ? 0 : 3);
    }
    int first_status = 0;
    BOOST_REQUIRE_EQUAL(::waitpid(first, &first_status, 0), first);
    BOOST_REQUIRE_MESSAGE(WIFEXITED(first_status) && WEXITSTATUS(first_status) == 0,
                          "the store could not be made on the empty disk");
    disk.fill();

    // The child writes 4 MB into the memtables of the store on the full disk and flushes:
    // exit 0 when the flush failed with disk_full, 1 when it succeeded, 2 on another error, or
    // it dies of SIGABRT.
    const pid_t child = ::fork();
    BOOST_REQUIRE(child >= 0);
    if (child == 0) {
        ::signal(SIGABRT, SIG_DFL);  // not Boost.Test's handler: the parent reads the signal
        std::fprintf(stderr, "child: opening the store on the full disk\n");
        auto db = store::open(dir);
        if (!db) ::_exit(db.err().code == errc::disk_full ? 0 : 2);
        for (int i = 100; i < 4100; ++i) {
            auto b = (*db)->make_batch();
            b.put(column::state, key_of(i), value);
            if (!(*db)->write(b)) ::_exit(2);
        }
        std::fprintf(stderr, "child: flushing on the full disk\n");
        auto flushed = (*db)->flush();
        ::_exit(flushed ? 1 : flushed.err().code == errc::disk_full ? 0 : 2);
    }
    int status = 0;
    BOOST_REQUIRE_EQUAL(::waitpid(child, &status, 0), child);
    const bool failed_with_disk_full = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    const bool aborted = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
    BOOST_TEST_MESSAGE(
        "opening the store and flushing on a full disk: " << (failed_with_disk_full ? "disk_full"
                                                              : aborted ? "the process aborted"
                                                                        : "something else"));
    BOOST_REQUIRE_MESSAGE(
        failed_with_disk_full || aborted,
        "opening and flushing on a full disk neither failed with disk_full nor aborted "
        "(status "
            << status << ")");

    disk.free();
    auto db = open_checked_store(dir);
    BOOST_REQUIRE_MESSAGE(db.ok(), (db.ok() ? "" : db.err().message));
    for (int i = 0; i < 100; ++i) {
        auto got = (*db)->get(column::state, key_of(i));
        BOOST_REQUIRE(got.ok() && got->has_value());
        BOOST_REQUIRE(**got == value);
    }
    auto b = (*db)->make_batch();
    b.put(column::state, key_of(5000), value);
    BOOST_CHECK((*db)->write(b).ok());
    BOOST_CHECK((*db)->flush().ok());
}
