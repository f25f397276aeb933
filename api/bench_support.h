#pragma once
// Small pieces the benchmarks share (api/bench.cpp, api/bench_fairness.cpp).
// Threading: none.

#include <cstdio>
#include <filesystem>
#include <string>

#include <unistd.h>

namespace uurwerk::cli {

// A scratch folder for one bench run, removed afterwards.
struct scratch_dir {
    std::filesystem::path path;
    explicit scratch_dir(const std::string& what) {
        path = std::filesystem::temp_directory_path() /
               ("uurwerk-bench-" + what + "-" + std::to_string(::getpid()));
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~scratch_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    scratch_dir(const scratch_dir&) = delete;
    scratch_dir& operator=(const scratch_dir&) = delete;
};

// `v` with `digits` decimals.
inline std::string fixed(double v, int digits = 1) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

}  // namespace uurwerk::cli
