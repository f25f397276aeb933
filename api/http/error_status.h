#pragma once
// The HTTP status of each error code (ledger/core/errors.h): one table, api/README.md ("Errors")
// is its documentation and tests/api/http/error_status_test.cpp holds the two together. Every
// code has a status, also those only the CLI and the tools raise (they never reach an answer).
// A pure function: safe from any thread.

#include "ledger/core/errors.h"

namespace uurwerk {

[[nodiscard]] unsigned http_status_for(errc code);

}  // namespace uurwerk
