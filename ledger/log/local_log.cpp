#include "ledger/log/local_log.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <limits>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>

#include "ledger/core/crypto.h"

namespace uurwerk {
namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// The record format (see local_log.h):
//   u32 magic | u32 payload length | u64 offset | i64 appended_at_ms | u32 crc32c | payload
// little-endian; the CRC covers length, offset, time (bytes 4..24) and then the payload.
constexpr std::uint32_t record_magic = 0x77727575;  // the bytes "uurw" on disk
constexpr std::size_t header_bytes = 28;
constexpr std::size_t crc_covered_from = 4;
constexpr std::size_t crc_covered_bytes = 20;
constexpr std::size_t crc_at = 24;
constexpr std::size_t record_bytes_max = header_bytes + envelope_bytes_max;

// A read pulls at most this many bytes with one pread (but always at least one record).
constexpr std::size_t read_chunk_bytes = 1u << 20;
// The recovery scan reads segments in pieces of this size.
constexpr std::size_t scan_chunk_bytes = 4u << 20;
// Longer waits in read() are cut to this, so that the deadline cannot overflow.
constexpr std::chrono::milliseconds read_wait_max = std::chrono::hours(24 * 365);

void put_u32(std::uint8_t* p, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
void put_u64(std::uint8_t* p, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint32_t get_u32(const std::uint8_t* p) {
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}
std::uint64_t get_u64(const std::uint8_t* p) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

std::uint32_t record_crc(const std::uint8_t* header, byte_view payload) {
    return crc32c(payload, crc32c(byte_view(header + crc_covered_from, crc_covered_bytes)));
}

// Appends one serialized record to `out`.
void put_record(bytes& out, offset at, time_ms appended_at, byte_view payload) {
    UURWERK_ASSERT(!payload.empty() && payload.size() <= envelope_bytes_max, payload.size());
    const std::size_t start = out.size();
    out.resize(start + header_bytes + payload.size());
    std::uint8_t* p = out.data() + start;
    put_u32(p, record_magic);
    put_u32(p + 4, static_cast<std::uint32_t>(payload.size()));
    put_u64(p + 8, at.value);
    put_u64(p + 16, static_cast<std::uint64_t>(appended_at.value));
    std::copy(payload.begin(), payload.end(), p + header_bytes);
    put_u32(p + crc_at, record_crc(p, payload));
}

enum class record_check {
    ok,
    short_header,
    bad_magic,
    bad_length,
    short_payload,
    wrong_offset,
    bad_crc,
    wrong_size,  // on read: the record's length disagrees with the index
};

const char* describe(record_check c) {
    switch (c) {
        case record_check::ok:
            return "ok";
        case record_check::short_header:
            return "the header is cut short";
        case record_check::bad_magic:
            return "the magic number is wrong";
        case record_check::bad_length:
            return "the payload length is out of bounds";
        case record_check::short_payload:
            return "the payload is cut short";
        case record_check::wrong_offset:
            return "the record carries the wrong offset";
        case record_check::bad_crc:
            return "the CRC does not match";
        case record_check::wrong_size:
            return "its length disagrees with the index";
    }
    return "unknown";
}

struct checked_record {
    record_check verdict = record_check::ok;
    std::uint32_t length = 0;      // payload bytes (valid from bad_length on)
    std::uint64_t at = 0;          // the offset the record carries (valid from wrong_offset on)
    std::int64_t appended_at = 0;  // valid when ok
};

// What was wrong with a record, with the values that were wrong.
std::string explain(const checked_record& c) {
    std::string why = describe(c.verdict);
    if (c.verdict == record_check::bad_length) {
        why += " (" + std::to_string(c.length) + ", not 1 to " +
               std::to_string(envelope_bytes_max) + ")";
    } else if (c.verdict == record_check::wrong_offset) {
        why += " (" + std::to_string(c.at) + ")";
    }
    return why;
}

// Checks the record that starts at `p`, of which `available` bytes are at hand, in the order
// magic, length bounds, completeness, offset == `expected`, CRC.
checked_record check_record(const std::uint8_t* p, std::size_t available, std::uint64_t expected) {
    checked_record r;
    if (available < header_bytes) return r.verdict = record_check::short_header, r;
    if (get_u32(p) != record_magic) return r.verdict = record_check::bad_magic, r;
    r.length = get_u32(p + 4);
    if (r.length == 0 || r.length > envelope_bytes_max) {
        return r.verdict = record_check::bad_length, r;
    }
    if (available < header_bytes + r.length) return r.verdict = record_check::short_payload, r;
    r.at = get_u64(p + 8);
    if (r.at != expected) return r.verdict = record_check::wrong_offset, r;
    const byte_view payload(p + header_bytes, r.length);
    if (get_u32(p + crc_at) != record_crc(p, payload)) return r.verdict = record_check::bad_crc, r;
    r.appended_at = static_cast<std::int64_t>(get_u64(p + 16));
    return r;
}

// ---------------------------------------------------------------------------------------------
// POSIX helpers. Every failure names the call, the file and the system's reason.

// No space left (or the quota is used up) is "disk_full": the node can recover from it once
// space is freed (see commit()); any other failure is "io_error".
bool is_disk_full(int errno_value) {
    return errno_value == ENOSPC || errno_value == EDQUOT;
}

error io_error(const std::string& what, const fs::path& where, int errno_value) {
    return make_error(is_disk_full(errno_value) ? errc::disk_full : errc::io_error,
                      what + " " + where.string() + ": " +
                          std::error_code(errno_value, std::generic_category()).message());
}

// Owns a file descriptor.
class unique_fd {
public:
    unique_fd() = default;
    explicit unique_fd(int fd) : fd_(fd) {}
    unique_fd(unique_fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    unique_fd& operator=(unique_fd&& o) noexcept {
        if (this != &o) {
            reset();
            fd_ = std::exchange(o.fd_, -1);
        }
        return *this;
    }
    unique_fd(const unique_fd&) = delete;
    unique_fd& operator=(const unique_fd&) = delete;
    ~unique_fd() { reset(); }
    int get() const { return fd_; }
    void reset() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_ = -1;
};

result<unique_fd> open_file(const fs::path& path, int flags) {
    int fd = -1;
    do {
        fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return io_error("open", path, errno);
    return unique_fd(fd);
}

result<void> write_all_at(int fd, const std::uint8_t* data, std::size_t n, std::uint64_t at,
                          const fs::path& path) {
    while (n > 0) {
        const ssize_t w = ::pwrite(fd, data, n, static_cast<off_t>(at));
        if (w < 0) {
            if (errno == EINTR) continue;
            return io_error(
                "pwrite of " + std::to_string(n) + " bytes at byte " + std::to_string(at) + " of",
                path, errno);
        }
        data += w;
        n -= static_cast<std::size_t>(w);
        at += static_cast<std::uint64_t>(w);
    }
    return ok_value;
}

// Reads up to `n` bytes at `at`; fewer only at the end of the file. Returns how many.
result<std::size_t> read_at(int fd, std::uint8_t* data, std::size_t n, std::uint64_t at,
                            const fs::path& path) {
    std::size_t done = 0;
    while (done < n) {
        const ssize_t r = ::pread(fd, data + done, n - done, static_cast<off_t>(at + done));
        if (r < 0) {
            if (errno == EINTR) continue;
            return io_error(
                "pread of " + std::to_string(n) + " bytes at byte " + std::to_string(at) + " of",
                path, errno);
        }
        if (r == 0) break;
        done += static_cast<std::size_t>(r);
    }
    return done;
}

result<void> sync_file(int fd, const fs::path& path) {
    if (::fsync(fd) != 0) return io_error("fsync", path, errno);
    return ok_value;
}

// Makes the folder's entries (a created or deleted file) durable.
result<void> sync_dir(const fs::path& dir) {
    auto fd = open_file(dir, O_RDONLY | O_DIRECTORY);
    if (!fd) return fd.err();
    return sync_file(fd->get(), dir);
}

result<std::uint64_t> file_size(int fd, const fs::path& path) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return io_error("fstat", path, errno);
    return static_cast<std::uint64_t>(st.st_size);
}

std::string segment_name(std::uint64_t first) {
    char name[64];
    std::snprintf(name, sizeof name, "log-%020llu.seg", static_cast<unsigned long long>(first));
    return name;
}

// The first offset named by a segment file name, or nothing when it is not one.
std::optional<std::uint64_t> parse_segment_name(const std::string& name) {
    constexpr std::size_t digits = 20;
    if (name.size() != 4 + digits + 4 || name.compare(0, 4, "log-") != 0 ||
        name.compare(4 + digits, 4, ".seg") != 0) {
        return std::nullopt;
    }
    std::uint64_t v = 0;
    for (std::size_t i = 4; i < 4 + digits; ++i) {
        const char c = name[i];
        if (c < '0' || c > '9') return std::nullopt;
        const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
        if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return std::nullopt;
        v = v * 10 + d;
    }
    return v;
}

// ---------------------------------------------------------------------------------------------

struct pending_append {
    bytes payload;
    append_callback done;
};

// One segment file. `fd` and `first` never change; `durable_bytes` and `positions` grow only on
// the writer thread, under the state mutex.
struct segment {
    fs::path path;
    std::uint64_t first = 0;               // offset of its first record
    unique_fd fd;                          // read-write; open until the log is destroyed
    std::uint64_t durable_bytes = 0;       // bytes synced and indexed (the end of the last record)
    std::vector<std::uint64_t> positions;  // file position of each durable record
};

// What the recovery scan found in one segment.
struct scan_result {
    std::uint64_t file_bytes = 0;
    std::uint64_t valid_bytes = 0;  // the end of the last good record
    std::vector<std::uint64_t> positions;
    std::optional<std::int64_t> last_appended_at;
    checked_record bad;  // why the scan stopped before the end of the file (ok: it did not)
    std::uint64_t bad_offset = 0;  // the offset the bad record should have had
};

result<scan_result> scan_segment(int fd, const fs::path& path, std::uint64_t first) {
    scan_result s;
    auto size = file_size(fd, path);
    if (!size) return size.err();
    s.file_bytes = *size;

    bytes buf;
    std::uint64_t buf_at = 0;  // file position of buf[0]
    std::uint64_t pos = 0;
    std::uint64_t expected = first;
    while (pos < s.file_bytes) {
        // Have at hand the largest record that could start here, or the rest of the file.
        const std::size_t want =
            static_cast<std::size_t>(std::min<std::uint64_t>(record_bytes_max, s.file_bytes - pos));
        if (pos < buf_at || pos + want > buf_at + buf.size()) {
            const std::size_t n = static_cast<std::size_t>(
                std::min<std::uint64_t>(std::max(want, scan_chunk_bytes), s.file_bytes - pos));
            buf.resize(n);
            auto got = read_at(fd, buf.data(), n, pos, path);
            if (!got) return got.err();
            if (*got != n) {
                return make_error(errc::io_error, path.string() + " shrank while it was scanned");
            }
            buf_at = pos;
        }
        const auto c = check_record(buf.data() + (pos - buf_at), want, expected);
        if (c.verdict != record_check::ok) {
            s.bad = c;
            s.bad_offset = expected;
            break;
        }
        s.positions.push_back(pos);
        s.last_appended_at = c.appended_at;
        pos += header_bytes + c.length;
        ++expected;
    }
    s.valid_bytes = pos;
    return s;
}

// A record that checks, found past a bad one.
struct found_record {
    std::uint64_t position = 0;  // in the file
    std::uint64_t at = 0;        // the offset it carries
};

// Looks past a bad record at byte `bad_at` of a segment (the record that should have had offset
// `expected`) for a later record in the same file that checks: the right magic, a sane length,
// whole, a good CRC, and an offset it could have, at least `expected` and at most `expected`
// plus the records that fit between (each is at least header_bytes + 1 bytes). A crash tears
// only what was being written at the end, so such a record means that the bad one is damage in
// the middle of the log, not a torn tail. Reads the file; changes nothing.
result<std::optional<found_record>> find_record_after(int fd, const fs::path& path,
                                                      std::uint64_t bad_at,
                                                      std::uint64_t file_bytes,
                                                      std::uint64_t expected) {
    constexpr std::uint64_t record_bytes_min = header_bytes + 1;
    bytes buf;
    std::uint64_t from = bad_at + 1;  // the first candidate position of this piece
    while (from + record_bytes_min <= file_bytes) {
        // Candidates start in [from, from + starts); each has its largest record at hand.
        const std::uint64_t rest = file_bytes - from;
        const std::size_t n = static_cast<std::size_t>(
            std::min<std::uint64_t>(scan_chunk_bytes + record_bytes_max, rest));
        const std::size_t starts = static_cast<std::size_t>(
            std::min<std::uint64_t>(scan_chunk_bytes, rest - record_bytes_min + 1));
        buf.resize(n);
        auto got = read_at(fd, buf.data(), n, from, path);
        if (!got) return got.err();
        if (*got != n)
            return make_error(errc::io_error, path.string() + " shrank while it was scanned");
        for (std::size_t k = 0; k < starts; ++k) {
            const std::uint8_t* p = buf.data() + k;
            if (get_u32(p) != record_magic) continue;
            const std::uint64_t position = from + k;
            const std::uint64_t at = get_u64(p + 8);
            const std::uint64_t between_max = (position - bad_at) / record_bytes_min;
            if (at < expected || at - expected > between_max) continue;
            if (check_record(p, n - k, at).verdict == record_check::ok) {
                return std::optional<found_record>(found_record{position, at});
            }
        }
        from += starts;
    }
    return std::optional<found_record>();
}

// The refusal to open a log damaged in the middle: what was found, where, and what to do.
error corrupt_log(const fs::path& dir, const fs::path& segment, std::uint64_t position,
                  std::uint64_t expected, const checked_record& bad, const std::string& evidence) {
    return make_error(
        errc::corrupt_log,
        "the log in " + dir.string() + " is damaged: record " + std::to_string(expected) +
            " at byte " + std::to_string(position) + " of " + segment.filename().string() +
            " does not check (" + explain(bad) + "), and " + evidence +
            ", so this is not a torn tail from a crash but damage to acknowledged records. "
            "Nothing was changed: every byte of the log is kept. Restore the data folder from a "
            "backup, or from a Kafka replica of these events; 'uurwerk rebuild' cannot help, "
            "it reads this same log. Keep a copy of the damaged folder for inspection.");
}

}  // namespace

// ---------------------------------------------------------------------------------------------

struct local_log::impl {
    local_log_options options;
    unique_fd lock_fd;  // holds an exclusive flock on <dir>/LOCK while the log is open
    std::uint64_t truncated_bytes_at_open = 0;

    // The append side, guarded by queue_mutex.
    std::mutex queue_mutex;
    std::condition_variable queue_ready;  // the writer waits here for appends or closing
    std::vector<pending_append> queue;
    std::size_t pending = 0;  // accepted appends whose callbacks have not run yet
    bool closing = false;
    bool lingering = false;              // the writer waits for more records to share its next sync
    std::atomic<std::size_t> coming{0};  // appends announced and not yet ended
    bool failed = false;
    std::string failure;  // what failed first

    // The read side, guarded by state_mutex. Only the writer thread changes it (after open), so
    // the writer may read it without the lock.
    mutable std::mutex state_mutex;
    std::condition_variable durable_grew;  // signalled after each sync
    std::vector<segment> segments;         // in offset order; the last one is written to
    std::atomic<std::uint64_t> end{0};     // one past the last durable record

    // Writer thread only (and open(), before the thread starts).
    std::uint64_t next = 0;  // the offset the next record gets
    time_ms last_appended_at{std::numeric_limits<std::int64_t>::min()};
    std::uint64_t syncs_attempted = 0;
    bool disk_was_full = false;           // the last batch was refused for a full disk
    std::uint64_t refused_disk_full = 0;  // appends refused during this spell of a full disk
    bytes buffer;
    std::vector<std::uint64_t> batch_positions;
    std::atomic<std::uint64_t> syncs{0};

    std::thread writer;

    result<void> recover();
    void writer_loop();
    void commit(std::vector<pending_append>& batch);
    void fail_from(std::vector<pending_append>& batch, std::size_t first, const error& e);
    void refuse_for_disk_full(std::vector<pending_append>& batch, std::size_t first,
                              const error& e);
    result<void> roll();
    result<void> write_and_sync(segment& s);
    void publish(segment& s, std::size_t records, std::uint64_t durable_bytes);
    result<std::vector<log_record>> read(offset from, std::size_t records_max,
                                         std::chrono::milliseconds wait);
};

// Finds the segments, checks every record, cuts a torn tail, and leaves the last segment ready
// for appending. Runs before the writer thread exists.
result<void> local_log::impl::recover() {
    const fs::path& dir = options.dir;
    std::vector<std::pair<std::uint64_t, fs::path>> found;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), stop; !ec && it != stop; it.increment(ec)) {
        if (auto first = parse_segment_name(it->path().filename().string())) {
            found.emplace_back(*first, it->path());
        }
    }
    if (ec) return io_error("listing", dir, ec.value());
    std::sort(found.begin(), found.end());

    if (found.empty()) {
        const fs::path path = dir / segment_name(0);
        auto fd = open_file(path, O_RDWR | O_CREAT | O_EXCL);
        if (!fd) return fd.err();
        if (auto synced = sync_dir(dir); !synced) return synced.err();
        segments.push_back(segment{path, 0, std::move(*fd), 0, {}});
        return ok_value;
    }
    if (found.front().first != 0) {
        return make_error(errc::io_error, "the log in " + dir.string() + " starts with " +
                                              found.front().second.filename().string() +
                                              ", not with " + segment_name(0) +
                                              ": a segment file is missing");
    }

    for (std::size_t i = 0; i < found.size(); ++i) {
        const auto& [first, path] = found[i];
        if (first != next) {
            // Not a torn tail (a crash never leaves a gap): a file is missing or misnamed.
            return make_error(errc::io_error, "the log in " + dir.string() + " has " +
                                                  path.filename().string() + " where " +
                                                  segment_name(next) + " was expected");
        }
        auto fd = open_file(path, O_RDWR);
        if (!fd) return fd.err();
        auto scanned = scan_segment(fd->get(), path, first);
        if (!scanned) return scanned.err();
        scan_result& s = *scanned;
        next += s.positions.size();
        if (s.last_appended_at) last_appended_at = time_ms{*s.last_appended_at};
        segments.push_back(
            segment{path, first, std::move(*fd), s.valid_bytes, std::move(s.positions)});
        if (s.bad.verdict == record_check::ok) continue;

        // A crash tears only the end of the last segment (a segment is synced whole before the
        // next one is started): a bad record anywhere else, or one with a good record after
        // it, is damage to acknowledged records. Refuse, and keep every byte.
        if (i + 1 < found.size()) {
            return corrupt_log(dir, path, s.valid_bytes, s.bad_offset, s.bad,
                               std::to_string(found.size() - i - 1) +
                                   " later segment file(s) follow it, from " +
                                   found[i + 1].second.filename().string());
        }
        segment& last = segments.back();
        auto later =
            find_record_after(last.fd.get(), path, s.valid_bytes, s.file_bytes, s.bad_offset);
        if (!later) return later.err();
        if (*later) {
            return corrupt_log(dir, path, s.valid_bytes, s.bad_offset, s.bad,
                               "a good record (offset " + std::to_string((*later)->at) +
                                   ") follows it at byte " + std::to_string((*later)->position));
        }

        // A torn tail: cut the last segment at its last good record.
        if (::ftruncate(last.fd.get(), static_cast<off_t>(s.valid_bytes)) != 0) {
            return io_error("ftruncate to " + std::to_string(s.valid_bytes) + " bytes of", path,
                            errno);
        }
        if (auto synced = sync_file(last.fd.get(), path); !synced) return synced.err();
        truncated_bytes_at_open = s.file_bytes - s.valid_bytes;
        std::fprintf(stderr,
                     "uurwerk: local_log: torn tail in %s at byte %llu (record %llu: %s, and no "
                     "good record after it): cut %llu bytes\n",
                     path.c_str(), static_cast<unsigned long long>(s.valid_bytes),
                     static_cast<unsigned long long>(s.bad_offset), explain(s.bad).c_str(),
                     static_cast<unsigned long long>(truncated_bytes_at_open));
    }
    end.store(next);
    return ok_value;
}

void local_log::impl::writer_loop() {
    std::vector<pending_append> batch;
    bool busy = false;  // the last sync covered more than one record: appenders are concurrent
    for (;;) {
        {
            std::unique_lock lock(queue_mutex);
            queue_ready.wait(lock, [&] { return !queue.empty() || closing; });
            if (queue.empty()) return;  // closing, and everything is done
            if (busy && queue.size() < options.group_commit_records && coming.load() > 0) {
                lingering = true;
                queue_ready.wait_for(lock, options.group_commit_linger, [&] {
                    return queue.size() >= options.group_commit_records || closing ||
                           coming.load() == 0;
                });
                lingering = false;
            }
            busy = queue.size() > 1;
            batch.swap(queue);
        }
        commit(batch);
        {
            std::lock_guard lock(queue_mutex);
            UURWERK_ASSERT(pending >= batch.size(), pending, batch.size());
            pending -= batch.size();
        }
        batch.clear();
    }
}

// Writes `batch` (everything queued since the last sync): one write and one sync per segment
// it touches, then the callbacks in offset order.
void local_log::impl::commit(std::vector<pending_append>& batch) {
    {
        std::unique_lock lock(queue_mutex);
        if (failed) {
            const error e = make_error(errc::io_error, "the log in " + options.dir.string() +
                                                           " failed earlier: " + failure);
            lock.unlock();
            fail_from(batch, 0, e);
            return;
        }
    }
    const time_ms now = options.clock();
    last_appended_at = std::max(last_appended_at, now);

    std::size_t i = 0;
    while (i < batch.size()) {
        if (segments.back().durable_bytes > 0 &&
            segments.back().durable_bytes + header_bytes + batch[i].payload.size() >
                options.segment_bytes_max) {
            if (auto rolled = roll(); !rolled) {
                if (rolled.err().code == errc::disk_full)
                    return refuse_for_disk_full(batch, i, rolled.err());
                return fail_from(batch, i, rolled.err());
            }
        }
        segment& s = segments.back();
        buffer.clear();
        batch_positions.clear();
        std::uint64_t pos = s.durable_bytes;
        std::size_t j = i;
        for (; j < batch.size(); ++j) {
            const std::size_t record_bytes = header_bytes + batch[j].payload.size();
            if (j > i && pos + record_bytes > options.segment_bytes_max) break;
            batch_positions.push_back(pos);
            put_record(buffer, offset{next + (j - i)}, last_appended_at, batch[j].payload);
            pos += record_bytes;
        }
        UURWERK_ASSERT(pos == s.durable_bytes + buffer.size(), pos, s.durable_bytes, buffer.size());
        if (auto written = write_and_sync(s); !written) {
            // Whatever reached the file is not acknowledged; take it back out as far as the
            // disk lets us (a record that stays was written whole and is merely unacknowledged).
            const bool cut = ::ftruncate(s.fd.get(), static_cast<off_t>(s.durable_bytes)) == 0;
            if (!cut) {
                std::fprintf(stderr,
                             "uurwerk: local_log: could not cut %s back to %llu bytes "
                             "after a failed write\n",
                             s.path.c_str(), static_cast<unsigned long long>(s.durable_bytes));
            }
            // A full disk is not a broken one: once the file is cut back to its durable length
            // and that length is synced, the log is exactly as it was before this batch, so it
            // refuses this batch ("disk_full") and tries the next one afresh. Nothing written
            // since the last good sync is ever counted as durable: a failed fdatasync may have
            // dropped those pages, and they are cut, not synced again.
            if (written.err().code == errc::disk_full && cut && ::fdatasync(s.fd.get()) == 0) {
                return refuse_for_disk_full(batch, i, written.err());
            }
            return fail_from(batch, i, written.err());
        }
        if (disk_was_full) {
            disk_was_full = false;
            std::fprintf(stderr,
                         "uurwerk: local_log: space again in %s: appends are written again "
                         "(%llu refused while the disk was full)\n",
                         options.dir.c_str(), static_cast<unsigned long long>(refused_disk_full));
            refused_disk_full = 0;
        }
        const std::uint64_t first = next;
        publish(s, j - i, pos);
        for (std::size_t k = i; k < j; ++k) batch[k].done(offset{first + (k - i)});
        i = j;
    }
}

// Enters the failed state (nothing more is acknowledged) and fails batch[first..].
void local_log::impl::fail_from(std::vector<pending_append>& batch, std::size_t first,
                                const error& e) {
    {
        std::lock_guard lock(queue_mutex);
        if (!failed) {
            failed = true;
            failure = e.message;
            std::fprintf(stderr, "uurwerk: local_log: %s; the log accepts no more appends\n",
                         e.message.c_str());
        }
    }
    for (std::size_t k = first; k < batch.size(); ++k) batch[k].done(e);
}

// Fails batch[first..] with "disk_full" and stays open: the log is as it was before them.
// Says so on stderr once per spell of a full disk.
void local_log::impl::refuse_for_disk_full(std::vector<pending_append>& batch, std::size_t first,
                                           const error& e) {
    if (!disk_was_full) {
        disk_was_full = true;
        std::fprintf(stderr,
                     "uurwerk: local_log: DISK FULL: %s; appends are refused with disk_full "
                     "(nothing of them is acknowledged) until space is freed in %s, then they "
                     "are written again without a restart\n",
                     e.message.c_str(), options.dir.c_str());
    }
    refused_disk_full += batch.size() - first;
    for (std::size_t k = first; k < batch.size(); ++k) batch[k].done(e);
}

// Starts a new segment file whose first record is `next`.
result<void> local_log::impl::roll() {
    const fs::path path = options.dir / segment_name(next);
    auto fd = open_file(path, O_RDWR | O_CREAT | O_EXCL);
    if (!fd) return fd.err();
    if (auto synced = sync_dir(options.dir); !synced) {
        // Not started: take the empty file back out, so that the next roll can create it.
        ::unlink(path.c_str());
        return synced.err();
    }
    std::lock_guard lock(state_mutex);
    segments.push_back(segment{path, next, std::move(*fd), 0, {}});
    return ok_value;
}

// Writes `buffer` at the end of `s` and makes it durable. What the records depend on is made
// durable before they are written at all: the kernel may write a file's dirty pages back at any
// moment, so records written first could reach the disk before it, fdatasync or not.
result<void> local_log::impl::write_and_sync(segment& s) {
    if (options.before_sync)
        if (auto first = options.before_sync(); !first) return first.err();
    if (auto w = write_all_at(s.fd.get(), buffer.data(), buffer.size(), s.durable_bytes, s.path);
        !w) {
        return w.err();
    }
    ++syncs_attempted;
    if (options.fail_sync_from > 0 && syncs_attempted >= options.fail_sync_from) {
        return make_error(errc::io_error, "fdatasync " + s.path.string() +
                                              ": injected failure (sync " +
                                              std::to_string(syncs_attempted) + ")");
    }
    int rc = 0;
    do {
        rc = ::fdatasync(s.fd.get());
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) return io_error("fdatasync", s.path, errno);
    syncs.fetch_add(1, std::memory_order_relaxed);
    return ok_value;
}

// Makes the records just synced visible to readers.
void local_log::impl::publish(segment& s, std::size_t records, std::uint64_t durable_bytes) {
    UURWERK_ASSERT(records == batch_positions.size(), records, batch_positions.size());
    {
        std::lock_guard lock(state_mutex);
        UURWERK_ASSERT(s.first + s.positions.size() == next, s.first, s.positions.size(), next);
        s.positions.insert(s.positions.end(), batch_positions.begin(), batch_positions.end());
        s.durable_bytes = durable_bytes;
        next += records;
        end.store(next);
    }
    durable_grew.notify_all();
}

result<std::vector<log_record>> local_log::impl::read(offset from, std::size_t records_max,
                                                      std::chrono::milliseconds wait) {
    std::vector<log_record> out;
    if (records_max == 0) return out;

    // Under the lock, note where the wanted records are; read the files without it.
    struct piece {
        int fd;
        fs::path path;
        std::uint64_t first;                // offset of the first record in `bounds`
        std::vector<std::uint64_t> bounds;  // start of each record, then the end of the last
    };
    std::vector<piece> pieces;
    {
        std::unique_lock lock(state_mutex);
        const auto there = [&] { return end.load() > from.value; };
        if (!there()) durable_grew.wait_for(lock, std::min(wait, read_wait_max), there);
        const std::uint64_t stop_at = end.load();
        if (from.value >= stop_at) return out;
        const std::uint64_t last =
            from.value + std::min<std::uint64_t>(records_max, stop_at - from.value);
        auto it = std::upper_bound(segments.begin(), segments.end(), from.value,
                                   [](std::uint64_t o, const segment& s) { return o < s.first; });
        UURWERK_ASSERT(it != segments.begin(), from.value);
        std::uint64_t o = from.value;
        for (--it; o < last && it != segments.end(); ++it) {
            const segment& s = *it;
            const std::uint64_t seg_end = s.first + s.positions.size();
            if (o >= seg_end) continue;
            UURWERK_ASSERT(o >= s.first, o, s.first);
            const std::size_t idx = static_cast<std::size_t>(o - s.first);
            const std::size_t count = static_cast<std::size_t>(std::min(last, seg_end) - o);
            piece p{s.fd.get(), s.path, o, {}};
            p.bounds.assign(s.positions.begin() + static_cast<std::ptrdiff_t>(idx),
                            s.positions.begin() + static_cast<std::ptrdiff_t>(idx + count));
            p.bounds.push_back(idx + count < s.positions.size() ? s.positions[idx + count]
                                                                : s.durable_bytes);
            o += count;
            pieces.push_back(std::move(p));
        }
        UURWERK_ASSERT(o == last, o, last);
    }

    bytes buf;
    for (const piece& p : pieces) {
        const std::size_t records = p.bounds.size() - 1;
        std::size_t a = 0;
        while (a < records) {
            std::size_t b = a + 1;
            while (b < records && p.bounds[b + 1] - p.bounds[a] <= read_chunk_bytes) ++b;
            const std::size_t n = static_cast<std::size_t>(p.bounds[b] - p.bounds[a]);
            buf.resize(n);
            auto got = read_at(p.fd, buf.data(), n, p.bounds[a], p.path);
            if (!got) return got.err();
            for (std::size_t k = a; k < b; ++k) {
                const std::uint64_t at = p.first + k;
                const std::size_t start = static_cast<std::size_t>(p.bounds[k] - p.bounds[a]);
                const std::size_t size = static_cast<std::size_t>(p.bounds[k + 1] - p.bounds[k]);
                const std::size_t have = *got > start ? std::min(size, *got - start) : 0;
                auto c = check_record(buf.data() + start, have, at);
                if (c.verdict == record_check::ok && header_bytes + c.length != size) {
                    c.verdict = record_check::wrong_size;
                }
                if (c.verdict != record_check::ok) {
                    return make_error(errc::bad_record,
                                      "record " + std::to_string(at) + " at byte " +
                                          std::to_string(p.bounds[k]) + " of " + p.path.string() +
                                          " does not check: " + describe(c.verdict));
                }
                const std::uint8_t* payload = buf.data() + start + header_bytes;
                out.push_back(log_record{offset{at}, time_ms{c.appended_at},
                                         bytes(payload, payload + c.length)});
            }
            a = b;
        }
    }
    return out;
}

// ---------------------------------------------------------------------------------------------

result<std::unique_ptr<local_log>> local_log::open(const local_log_options& options) {
    UURWERK_ASSERT(static_cast<bool>(options.clock), "local_log_options.clock is required");
    UURWERK_ASSERT(options.segment_bytes_max > 0, options.segment_bytes_max);
    UURWERK_ASSERT(options.pending_appends_max > 0, options.pending_appends_max);

    auto state = std::make_unique<impl>();
    state->options = options;
    const fs::path& dir = options.dir;

    std::error_code ec;
    const bool created = fs::create_directories(dir, ec);
    if (ec) return io_error("creating the folder", dir, ec.value());
    if (created) {
        // Make the new folder's own entry durable.
        fs::path absolute = fs::absolute(dir, ec);
        if (ec) return io_error("resolving", dir, ec.value());
        if (!absolute.has_filename()) absolute = absolute.parent_path();  // "a/b/"
        if (auto synced = sync_dir(absolute.parent_path()); !synced) return synced.err();
    }

    // One process, one log: a second writer would interleave records.
    auto lock_fd = open_file(dir / "LOCK", O_RDWR | O_CREAT);
    if (!lock_fd) return lock_fd.err();
    if (::flock(lock_fd->get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
            return make_error(errc::log_unavailable,
                              "the log in " + dir.string() +
                                  " is already open elsewhere (another uurwerk "
                                  "serving this folder? stop it first)");
        }
        return io_error("flock", dir / "LOCK", errno);
    }
    state->lock_fd = std::move(*lock_fd);

    if (auto recovered = state->recover(); !recovered) return recovered.err();
    UURWERK_ASSERT(!state->segments.empty());
    UURWERK_ASSERT(state->end.load() == state->next, state->end.load(), state->next);

    impl* raw = state.get();
    state->writer = std::thread([raw] {
        name_this_thread("uw-log-writer");
        raw->writer_loop();
    });
    return std::unique_ptr<local_log>(new local_log(std::move(state)));
}

local_log::local_log(std::unique_ptr<impl> impl) : impl_(std::move(impl)) {}

local_log::~local_log() {
    {
        std::lock_guard lock(impl_->queue_mutex);
        impl_->closing = true;
    }
    impl_->queue_ready.notify_one();
    impl_->writer.join();
    UURWERK_ASSERT(impl_->pending == 0, impl_->pending);
    // An append_intent must not outlive its log.
    UURWERK_ASSERT(impl_->coming.load() == 0, impl_->coming.load());
}

namespace {

// What every append is checked for before it is queued.
result<void> check_record(const bytes& payload) {
    if (payload.empty()) return make_error(errc::bad_record, "an empty record cannot be appended");
    if (payload.size() > envelope_bytes_max) {
        return make_error(errc::bad_record, "a record of " + std::to_string(payload.size()) +
                                                " bytes is over the limit of " +
                                                std::to_string(envelope_bytes_max));
    }
    return ok_value;
}

}  // namespace

result<void> local_log::append_async(bytes payload, append_callback done) {
    if (auto checked = check_record(payload); !checked) return checked.err();
    return queue_append(std::move(payload), std::move(done), intent_end::none);
}

result<void> local_log::append_announced(bytes payload, append_callback done,
                                         append_intent coming) {
    // A bad record ends `coming` as the parameter goes. Otherwise an intent of this log is ended
    // under the queue's lock, with the append: a writer waiting for announced appends sees the
    // record and the intent's end at once.
    if (auto checked = check_record(payload); !checked) return checked.err();
    return queue_append(std::move(payload), std::move(done),
                        disarm(coming) ? intent_end::with_append : intent_end::none);
}

result<void> local_log::queue_append(bytes payload, append_callback done, intent_end ends) {
    UURWERK_ASSERT(static_cast<bool>(done), "append_async needs a callback");
    bool wake = false;
    result<void> out = ok_value;
    {
        std::lock_guard lock(impl_->queue_mutex);
        const bool none_coming = ends == intent_end::with_append && impl_->coming.fetch_sub(1) == 1;
        if (impl_->closing) {
            out = make_error(errc::log_closed, "the log is closing");
        } else if (impl_->failed) {
            out = make_error(errc::io_error, "the log in " + impl_->options.dir.string() +
                                                 " failed earlier and accepts no appends until it "
                                                 "is reopened: " +
                                                 impl_->failure);
        } else if (impl_->pending >= impl_->options.pending_appends_max) {
            out = make_error(errc::log_full, std::to_string(impl_->pending) +
                                                 " appends are already waiting to be written");
        } else {
            impl_->queue.push_back(pending_append{std::move(payload), std::move(done)});
            ++impl_->pending;
        }
        wake = (out.ok() && impl_->queue.size() == 1) ||
               (impl_->lingering &&
                (none_coming || impl_->queue.size() == impl_->options.group_commit_records));
    }
    if (wake) impl_->queue_ready.notify_one();
    return out;
}

result<std::vector<log_record>> local_log::read(offset from, std::size_t records_max,
                                                std::chrono::milliseconds wait) {
    return impl_->read(from, records_max, wait);
}

append_intent local_log::announce_append() {
    impl_->coming.fetch_add(1);
    return intent();
}

void local_log::intent_ended() {
    UURWERK_ASSERT(impl_->coming.load() > 0);
    if (impl_->coming.fetch_sub(1) != 1) return;
    // The last one on its way has arrived or will not come: a lingering writer waits no more.
    // Under the lock, so that a writer about to wait has either seen `coming` at zero or is
    // waiting when notified.
    std::lock_guard lock(impl_->queue_mutex);
    if (impl_->lingering) impl_->queue_ready.notify_one();
}

std::size_t local_log::appends_coming() const {
    return impl_->coming.load();
}

offset local_log::end() const {
    return offset{impl_->end.load()};
}

std::uint64_t local_log::truncated_bytes_at_open() const {
    return impl_->truncated_bytes_at_open;
}

std::uint64_t local_log::syncs() const {
    return impl_->syncs.load(std::memory_order_relaxed);
}

// ---------------------------------------------------------------------------------------------

result<log_copy> copy_local_log(const fs::path& from, const fs::path& to) {
    std::vector<std::pair<std::uint64_t, fs::path>> found;
    std::error_code ec;
    for (fs::directory_iterator it(from, ec), stop; !ec && it != stop; it.increment(ec)) {
        if (auto first = parse_segment_name(it->path().filename().string()))
            found.emplace_back(*first, it->path());
    }
    if (ec) return io_error("listing", from, ec.value());
    if (found.empty())
        return make_error(errc::not_found, "no log segment (log-*.seg) in " + from.string());
    std::sort(found.begin(), found.end());

    if (!fs::create_directories(to, ec)) {
        if (ec) return io_error("creating the folder", to, ec.value());
        return make_error(errc::bad_argument, to.string() +
                                                  " exists already: a copy of a log "
                                                  "goes into a new folder");
    }
    log_copy out;
    bytes buf(scan_chunk_bytes);
    for (const auto& [first, path] : found) {
        auto in = open_file(path, O_RDONLY);
        if (!in) return in.err();
        const fs::path target = to / path.filename();
        auto copy = open_file(target, O_WRONLY | O_CREAT | O_EXCL);
        if (!copy) return copy.err();
        // Up to the end of the file as it is now; a later record is not part of this copy.
        auto size = file_size(in->get(), path);
        if (!size) return size.err();
        for (std::uint64_t at = 0; at < *size;) {
            const std::size_t want =
                static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), *size - at));
            auto got = read_at(in->get(), buf.data(), want, at, path);
            if (!got) return got.err();
            if (*got == 0) break;  // cut shorter since (a refused write taken back)
            if (auto w = write_all_at(copy->get(), buf.data(), *got, at, target); !w)
                return w.err();
            at += *got;
        }
        if (auto synced = sync_file(copy->get(), target); !synced) return synced.err();
        ++out.segments;
    }
    if (auto synced = sync_dir(to); !synced) return synced.err();

    // Opening the copy checks every record and cuts a torn tail (of a write in progress).
    local_log_options o;
    o.dir = to;
    o.clock = [] { return time_ms{0}; };  // nothing is appended
    auto copied = local_log::open(o);
    if (!copied) return copied.err();
    out.records = (*copied)->end().value;
    out.cut_bytes = (*copied)->truncated_bytes_at_open();
    copied->reset();
    fs::remove(to / "LOCK", ec);
    for (const auto& f : fs::directory_iterator(to, ec))
        if (parse_segment_name(f.path().filename().string())) out.bytes += f.file_size();
    if (ec) return io_error("listing", to, ec.value());
    return out;
}

}  // namespace uurwerk
