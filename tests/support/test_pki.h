#pragma once
// Test support: a small public key infrastructure made for one test with the `openssl` command:
// a CA, a server certificate it signed (P-256, for 127.0.0.1 and localhost unless told
// otherwise), and a second CA and key that have nothing to do with them (the wrong CA, the
// wrong key). Everything is PEM, in a folder of the test's, valid for two days.

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/run_command.h"

namespace uurwerk::testing {

struct test_pki {
    std::filesystem::path ca_cert, ca_key;           // the CA the clients are told to trust
    std::filesystem::path server_cert, server_key;   // signed by it
    std::filesystem::path other_ca_cert, other_key;  // another CA: signed nothing of the above
};

namespace detail {
inline void openssl(std::vector<std::string> args) {
    args.insert(args.begin(), "openssl");
    const auto r = run_command(args);
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "openssl " + args.at(1) + " failed: " + r.out);
}
inline void make_ca(const std::filesystem::path& cert, const std::filesystem::path& key,
                    const std::string& name) {
    openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", key.string(), "-out", cert.string(), "-days", "2", "-subj", "/CN=" + name,
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
             "keyUsage=critical,keyCertSign,cRLSign"});
}
}  // namespace detail

// `names` is the server certificate's subjectAltName ("IP:127.0.0.1,DNS:localhost").
inline test_pki make_test_pki(const std::filesystem::path& dir,
                              const std::string& names = "IP:127.0.0.1,DNS:localhost") {
    test_pki p{dir / "ca.pem",     dir / "ca.key",       dir / "server.pem",
               dir / "server.key", dir / "other-ca.pem", dir / "other-ca.key"};
    detail::make_ca(p.ca_cert, p.ca_key, "uurwerk test CA");
    detail::make_ca(p.other_ca_cert, p.other_key, "another CA");
    const auto csr = dir / "server.csr", ext = dir / "server.ext";
    {
        std::ofstream e(ext);
        e << "subjectAltName=" << names << "\nbasicConstraints=CA:FALSE\n"
          << "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n";
    }
    detail::openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                     "-keyout", p.server_key.string(), "-out", csr.string(), "-subj",
                     "/CN=uurwerk test server"});
    detail::openssl({"x509", "-req", "-in", csr.string(), "-CA", p.ca_cert.string(), "-CAkey",
                     p.ca_key.string(), "-set_serial", "2", "-days", "2", "-extfile", ext.string(),
                     "-out", p.server_cert.string()});
    return p;
}

}  // namespace uurwerk::testing
