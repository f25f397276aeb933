#pragma once
// Test support: a fresh folder for one test, removed (with everything in it) afterwards.
// Unique per process, test and instance, so tests may run in parallel.

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <string>
#include <string_view>

namespace uurwerk::testing {

class temp_dir {
public:
    explicit temp_dir(std::string_view what = "test") {
        static std::atomic<int> counter{0};
        std::random_device random;
        path = std::filesystem::temp_directory_path() /
               ("uurwerk-" + std::string(what) + "-" + std::to_string(::getpid()) + "-" +
                std::to_string(counter++) + "-" + std::to_string(random()));
        std::filesystem::create_directories(path);
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    std::filesystem::path path;
};

}  // namespace uurwerk::testing
