#include "api/node/founders.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

namespace uurwerk {
namespace {

// Every key the file lists, in order.
result<std::vector<public_key>> read_founders(const std::filesystem::path& data_dir) {
    const auto path = founders_file(data_dir);
    std::vector<public_key> keys;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return keys;
    std::ifstream in(path);
    if (!in) return make_error(errc::io_error, "cannot read " + path.string());
    std::string line;
    for (std::size_t n = 1; std::getline(in, line); ++n) {
        if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
        while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
            line.pop_back();
        const auto first = line.find_first_not_of(" \t");
        if (first == std::string::npos) continue;
        auto k = fixed_from_hex<public_key_bytes>(line.substr(first), "a founder's key");
        if (!k)
            return make_error(
                errc::bad_founders_file,
                path.string() + " line " + std::to_string(n) + ": " + k.err().message);
        keys.push_back(public_key{*k});
    }
    return keys;
}

}  // namespace

std::filesystem::path founders_file(const std::filesystem::path& data_dir) {
    return data_dir / "founders";
}

result<void> allow_founder(const std::filesystem::path& data_dir, const public_key& k) {
    auto listed = read_founders(data_dir);
    if (!listed) return listed.err();
    for (const auto& l : *listed)
        if (l == k) return ok_value;
    std::error_code ec;
    std::filesystem::create_directories(data_dir, ec);
    if (ec)
        return make_error(errc::io_error, "cannot make " + data_dir.string() + ": " + ec.message());
    const auto path = founders_file(data_dir);
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return make_error(errc::io_error,
                          "cannot open " + path.string() + ": " + std::strerror(errno));
    // A file edited by hand may end without a newline: the key must start a line of its own.
    std::string line = k.hex() + "\n";
    std::error_code size_ec;
    if (const auto size = std::filesystem::file_size(path, size_ec); !size_ec && size > 0) {
        std::ifstream in(path, std::ios::binary);
        in.seekg(static_cast<std::streamoff>(size) - 1);
        if (in.get() != '\n') line.insert(line.begin(), '\n');
    }
    const auto written = ::write(fd, line.data(), line.size());
    const bool synced = ::fsync(fd) == 0;
    const int e = errno;
    ::close(fd);
    if (written != static_cast<ssize_t>(line.size()) || !synced)
        return make_error(errc::io_error,
                          "cannot write " + path.string() + ": " + std::strerror(e));
    return ok_value;
}

result<bool> founder_allowed(const std::filesystem::path& data_dir, const public_key& k) {
    auto listed = read_founders(data_dir);
    if (!listed) return listed.err();
    for (const auto& l : *listed)
        if (l == k) return true;
    return false;
}

result<std::size_t> founders_count(const std::filesystem::path& data_dir) {
    auto listed = read_founders(data_dir);
    if (!listed) return listed.err();
    return listed->size();
}

}  // namespace uurwerk
