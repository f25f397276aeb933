#include "api/node/key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "api/json/json_read.h"

namespace uurwerk {

namespace {

// Writes `text` to a new file with `mode`, synced; never overwrites.
result<void> write_new_file(const std::filesystem::path& path, const std::string& text,
                            mode_t mode) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        if (errno == EEXIST)
            return make_error(errc::key_file_exists,
                              path.string() +
                                  " exists already; keys are never overwritten: "
                                  "choose another file name");
        return make_error(errc::io_error,
                          "cannot create " + path.string() + ": " + std::strerror(errno));
    }
    std::size_t done = 0;
    while (done < text.size()) {
        auto n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            int e = errno;
            ::close(fd);
            return make_error(errc::io_error,
                              "cannot write " + path.string() + ": " + std::strerror(e));
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0)
        return make_error(errc::io_error,
                          "cannot sync " + path.string() + ": " + std::strerror(errno));
    return ok_value;
}

// A key file's JSON; `cannot_read` is the message when the file cannot be read.
result<json_doc> read_json_file(const std::filesystem::path& path, const std::string& cannot_read) {
    std::ifstream in(path);
    if (!in) return make_error(errc::io_error, cannot_read);
    std::stringstream ss;
    ss << in.rdbuf();
    auto doc = json_doc::parse(ss.str());
    if (!doc) return make_error(errc::bad_key_file, path.string() + ": " + doc.err().message);
    return std::move(*doc);
}

std::string ids_json(const key_file& k) {
    return "\"community\": \"" + std::to_string(k.community.value) + "\", \"member\": \"" +
           std::to_string(k.member.value) + "\"}\n";
}

}  // namespace

result<void> write_key_file(const std::filesystem::path& path, const key_file& k) {
    return write_new_file(path,
                          "{\"seed\": \"" + to_hex(k.seed) + "\", \"public\": \"" + k.pub.hex() +
                              "\", " + ids_json(k),
                          0600);
}

std::filesystem::path public_key_path(const std::filesystem::path& key_path) {
    return key_path.string() + ".pub";
}

result<void> write_public_key_file(const std::filesystem::path& path, const key_file& k) {
    return write_new_file(path, "{\"public\": \"" + k.pub.hex() + "\", " + ids_json(k), 0644);
}

result<public_key> read_public_key_file(const std::filesystem::path& path) {
    auto doc = read_json_file(path, "cannot read the public key file " + path.string() +
                                        " ('uurwerk keygen --out FILE' writes FILE.pub)");
    if (!doc) return doc.err();
    if (doc->string_at("seed"))
        return make_error(errc::bad_key_file,
                          path.string() +
                              " holds a private key, which must never leave its owner: give the "
                              "public key file keygen wrote beside it (" +
                              public_key_path(path).string() + ")");
    auto pub_hex = doc->string_at("public");
    if (!pub_hex) return make_error(errc::bad_key_file, path.string() + ": needs \"public\"");
    auto pub = fixed_from_hex<32>(*pub_hex, "public");
    if (!pub) return make_error(errc::bad_key_file, path.string() + ": " + pub.err().message);
    return public_key{*pub};
}

result<key_file> read_key_file(const std::filesystem::path& path) {
    auto doc =
        read_json_file(path, "cannot read the key file " + path.string() +
                                 " (make one with 'uurwerk keygen --out " + path.string() + "')");
    if (!doc) return doc.err();
    auto bad = [&](const std::string& why) {
        return make_error(errc::bad_key_file, path.string() + ": " + why);
    };
    auto seed_hex = doc->string_at("seed");
    auto pub_hex = doc->string_at("public");
    if (!seed_hex || !pub_hex) return bad("needs \"seed\" and \"public\"");
    auto seed = fixed_from_hex<32>(*seed_hex, "seed");
    auto pub = fixed_from_hex<32>(*pub_hex, "public");
    if (!seed || !pub) return bad("seed and public must each be 64 hex characters");
    key_file k;
    k.seed = *seed;
    k.pub = public_key{*pub};
    auto signer = signing_key::from_seed(k.seed);
    if (!signer) return bad(signer.err().message);
    if (signer->public_bytes() != k.pub) return bad("the public key does not belong to the seed");
    if (auto c = doc->string_at("community")) {
        auto v = parse_decimal(*c);
        if (!v) return bad("community must be a whole number");
        k.community = community_id{*v};
    }
    if (auto m = doc->string_at("member")) {
        auto v = parse_decimal(*m);
        if (!v) return bad("member must be a whole number");
        k.member = member_id{*v};
    }
    return k;
}

}  // namespace uurwerk
