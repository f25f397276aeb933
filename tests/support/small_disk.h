#pragma once
// Test support: a small file system of its own (a tmpfs of a given size) mounted on a fresh
// folder, for tests of a full disk, and a filler file that takes every byte left on it.
// Needs root (CI runs as root). When the mount is refused the test FAILS with the reason: it
// never passes without having filled a disk. The test process first moves into a mount
// namespace of its own (unshare, once), so its mounts are seen only by it and its children (a
// server it starts) and vanish with it even if it dies without unwinding (an abort); the
// destructor unmounts too (lazily if busy), on every other way out of a test.
// Threading: one thread.

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace uurwerk::testing {

class small_disk {
public:
    small_disk(std::string_view what, std::size_t megabytes) : dir_(what) {
        path = dir_.path / "disk";
        std::filesystem::create_directories(path);
        static const int isolated = [] {
            if (::unshare(CLONE_NEWNS) != 0) return errno;
            // Mounts made here must not propagate back to the machine's namespace.
            if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return errno;
            return 0;
        }();
        BOOST_REQUIRE_MESSAGE(isolated == 0, "cannot make a mount namespace for the test: "
                                                 << std::strerror(isolated)
                                                 << " (this test needs root, or CAP_SYS_ADMIN)");
        const std::string size = "size=" + std::to_string(megabytes) + "m";
        if (::mount("tmpfs", path.c_str(), "tmpfs", 0, size.c_str()) != 0) {
            const int e = errno;
            BOOST_FAIL("cannot mount a " << megabytes << " MiB tmpfs on " << path.string() << ": "
                                         << std::strerror(e)
                                         << " (this test needs root, or CAP_SYS_ADMIN, to make "
                                            "a small disk it can fill)");
        }
        mounted_ = true;
    }
    ~small_disk() {
        if (mounted_ && ::umount2(path.c_str(), 0) != 0) ::umount2(path.c_str(), MNT_DETACH);
    }
    small_disk(const small_disk&) = delete;
    small_disk& operator=(const small_disk&) = delete;

    // Writes `name` on the disk until the disk is full (ENOSPC); returns how many bytes it took.
    std::uint64_t fill(const std::string& name = "filler") {
        const auto file = path / name;
        const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        BOOST_REQUIRE_MESSAGE(fd >= 0, "cannot create " << file.string());
        const std::vector<char> block(4096, 'f');
        std::uint64_t written = 0;
        for (;;) {
            const ssize_t w = ::write(fd, block.data(), block.size());
            if (w > 0) {
                written += static_cast<std::uint64_t>(w);
                continue;
            }
            const int e = errno;
            if (w < 0 && e == EINTR) continue;
            ::close(fd);
            BOOST_REQUIRE_MESSAGE(w < 0 && e == ENOSPC,
                                  "filling the disk stopped without ENOSPC: " << std::strerror(e));
            return written;
        }
    }
    // Frees what fill() took.
    void free(const std::string& name = "filler") {
        BOOST_REQUIRE(std::filesystem::remove(path / name));
    }
    std::uint64_t bytes_free() const {
        struct statvfs st {};
        BOOST_REQUIRE(::statvfs(path.c_str(), &st) == 0);
        return static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
    }

    std::filesystem::path path;  // the mount point

private:
    temp_dir dir_;
    bool mounted_ = false;
};

}  // namespace uurwerk::testing
