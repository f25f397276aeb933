// A libFuzzer target for LocalLog's recovery scan (ledger/log/local_log.h): the input is written
// as the one segment file (log-00000000000000000000.seg) of a fresh folder, which is then opened
// and read. Built with -DUURWERK_FUZZ=ON (see json_fuzz.cpp); seeds in tests/fuzz/corpus/log/.
//
// What must hold, besides no crash and no sanitizer report:
//   - a refusal is corrupt_log or io_error, with a message, and changes no byte of the file;
//   - an accepted log reads back offsets 0, 1, ... end-1, and those records, written again in
//     the format of ledger/FORMAT.md section 6 (written out here, independently of the log's
//     code), are exactly the first (size - truncated_bytes_at_open) bytes of the input: the
//     scan keeps only records that check and cuts only a tail;
//   - a second open finds nothing more to cut and the same records;
//   - the log still takes an append after them, at offset end.
// The folder is under /dev/shm when it exists (the appends sync), else the temp folder.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "ledger/core/crypto.h"
#include "ledger/log/local_log.h"

using namespace uurwerk;
namespace fs = std::filesystem;

namespace {

void put_le(bytes& out, std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// One record as FORMAT.md section 6 lays it out.
void put_record(bytes& out, const log_record& r) {
    bytes covered;
    put_le(covered, r.payload.size(), 4);
    put_le(covered, r.at.value, 8);
    put_le(covered, static_cast<std::uint64_t>(r.appended_at.value), 8);
    put_le(out, 0x77727575, 4);
    out.insert(out.end(), covered.begin(), covered.end());
    put_le(out, crc32c(r.payload, crc32c(covered)), 4);
    out.insert(out.end(), r.payload.begin(), r.payload.end());
}

bytes file_bytes(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

const fs::path& scratch() {
    static const fs::path dir = [] {
        const fs::path base =
            fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
        return base / ("uurwerk-log-fuzz-" + std::to_string(::getpid()));
    }();
    return dir;
}

local_log_options options_for(const fs::path& dir) {
    local_log_options o;
    o.dir = dir;
    o.clock = [] { return time_ms{1'700'000'000'000}; };
    o.group_commit_linger = std::chrono::microseconds(0);
    return o;
}

bytes all_records(local_log& log) {
    bytes out;
    std::uint64_t next = 0;
    while (next < log.end().value) {
        auto got = log.read(offset{next}, 1024, std::chrono::milliseconds(0));
        UURWERK_ASSERT(got.ok() && !got->empty(), "an accepted log reads back to its end");
        for (const auto& r : *got) {
            UURWERK_ASSERT(r.at.value == next, "offsets are dense from 0");
            UURWERK_ASSERT(r.foreign.empty() && !r.payload.empty());
            put_record(out, r);
            ++next;
        }
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const fs::path dir = scratch();
    fs::remove_all(dir);
    fs::create_directories(dir);
    const fs::path segment = dir / "log-00000000000000000000.seg";
    const bytes input(data, data + size);
    {
        std::ofstream f(segment, std::ios::binary);
        f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    }

    bytes kept;
    {
        auto log = local_log::open(options_for(dir));
        if (!log) {
            const auto code = log.err().code;
            UURWERK_ASSERT(code == errc::corrupt_log || code == errc::io_error, name(code));
            UURWERK_ASSERT(!log.err().message.empty());
            UURWERK_ASSERT(file_bytes(segment) == input, "a refused open changes nothing");
            return 0;
        }
        const auto cut = (*log)->truncated_bytes_at_open();
        UURWERK_ASSERT(cut <= size);
        kept = all_records(**log);
        UURWERK_ASSERT(kept.size() == size - cut, "only a tail is cut");
        UURWERK_ASSERT(std::equal(kept.begin(), kept.end(), input.begin()),
                       "the records read back are the bytes kept");
    }
    {
        auto again = local_log::open(options_for(dir));
        UURWERK_ASSERT(again.ok(), "a recovered log opens again");
        UURWERK_ASSERT((*again)->truncated_bytes_at_open() == 0, "nothing more to cut");
        UURWERK_ASSERT(all_records(**again) == kept);
        const std::uint64_t end = (*again)->end().value;
        const bytes payload{1, 2, 3};
        auto appended = (*again)->append_async(payload, [end](result<offset> r) {
            UURWERK_ASSERT(r.ok() && r->value == end, "the next append lands at end");
        });
        UURWERK_ASSERT(appended.ok());
        auto read = (*again)->read(offset{end}, 1, std::chrono::milliseconds(10'000));
        UURWERK_ASSERT(read.ok() && read->size() == 1 && read->front().payload == payload);
    }
    return 0;
}
