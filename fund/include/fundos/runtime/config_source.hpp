// Where the Fund's configuration comes from: a JSON file, a SQLite database or a PostgreSQL server
// (docs/CONFIG.md). Every source yields one JSON document, which goes to the same loader and
// normalizer as a file (config_json.hpp): the databases hold the configuration in tables and a
// view, fundos_config_document(service, document), rebuilds the document from them.
//
// Addresses (`fund run --config ADDRESS`, `fund check-config ADDRESS`):
//   PATH                                    a JSON file (anything that is not one of the URLs below)
//   sqlite:///ABSOLUTE/PATH.db[#SERVICE]    a SQLite database file (opened read-only)
//   sqlite:RELATIVE/PATH.db[#SERVICE]       ... relative to the current folder
//   postgresql://[USER[:PASSWORD]@]HOST[:PORT]/DB[?PARAM=VALUE&...][#SERVICE]
//   postgres://...                          the same
// SERVICE is the Fund's service id, its configuration's `name`; without it the database must hold
// exactly one. A PostgreSQL URL is given to libpq as it is (minus #SERVICE), so every libpq
// parameter works: sslmode, sslrootcert, sslcert, sslkey, connect_timeout, options, ... (the
// service id is a fragment, not `?service=`, because `service` is libpq's own parameter for
// pg_service.conf). Messages name the address without its password.
#pragma once

#include <string>

#include "fundos/runtime/config_json.hpp"

namespace fundos::runtime {

/// The version of the configuration database's schema this build reads (the highest migration in
/// sdks/python/src/fundos/config/migrations/; `fundos config init URL` applies them).
inline constexpr int kConfigSchemaVersion = 3;

struct ConfigAddress {
    enum class Kind : unsigned char { kFile, kSqlite, kPostgres };
    Kind kind = Kind::kFile;
    std::string path;      ///< kFile, kSqlite: the file (kSqlite: absolute)
    std::string conninfo;  ///< kPostgres: the URL for libpq (without the fragment)
    std::string service;   ///< the service id asked for; empty: the only one in the database
    std::string label;     ///< the address for messages: no password, no service
};

/// Parses an address. A text that starts with "sqlite:", "postgresql:" or "postgres:" is a URL
/// (a malformed one is an error in `error`); anything else is a file path.
[[nodiscard]] bool parse_config_address(const std::string& text, ConfigAddress& out, std::string& error);

struct FetchResult {
    std::string document;  ///< the configuration's JSON text
    std::string source;    ///< "LABEL#SERVICE": what messages about the document name
    std::string error;     ///< empty when fetched
    [[nodiscard]] bool ok() const noexcept { return error.empty(); }
};

/// Reads the configuration document of `address.service` from a database (kSqlite, kPostgres):
/// connects, checks the schema version is kConfigSchemaVersion, picks the service, reads the
/// view, all in one read-only transaction. Failures are one message naming the source:
///     postgresql://fund@db.example:5432/cfg: cannot connect: ... password authentication failed ...
///     sqlite:///srv/cfg.db: schema version 1, this Fund reads version 2: run `fundos config init ...`
[[nodiscard]] FetchResult fetch_config_document(const ConfigAddress& address);

/// load_config for any address: a file is loaded as load_config does; a database's document is
/// loaded with load_config_text (relative paths against the current folder), and messages name
/// "LABEL#SERVICE". config.source is that name.
[[nodiscard]] LoadResult load_config_source(const std::string& address);
[[nodiscard]] LoadResult load_config_source(const std::string& address, const LoadOptions& options);

}  // namespace fundos::runtime
