#pragma once
// Test support: the bytes of every file in a folder, for tests that check that something left a
// folder byte for byte as it was (a refused open, a refused command).

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

namespace uurwerk::testing {

// Every regular file below `dir` (recursively), by its path relative to `dir`, and its bytes.
inline std::map<std::string, std::string> folder_bytes(const std::filesystem::path& dir) {
    std::map<std::string, std::string> out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
        if (!e.is_regular_file()) continue;
        std::ifstream f(e.path(), std::ios::binary);
        out[std::filesystem::relative(e.path(), dir).string()] =
            std::string(std::istreambuf_iterator<char>(f), {});
    }
    return out;
}

}  // namespace uurwerk::testing
