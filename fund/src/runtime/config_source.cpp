// Configuration sources (fundos/runtime/config_source.hpp): address parsing, and reading the
// document view of a SQLite database (libsqlite3) or a PostgreSQL server (libpq).
#include "fundos/runtime/config_source.hpp"

#include <filesystem>
#include <memory>
#include <string_view>
#include <vector>

#include <libpq-fe.h>
#include <sqlite3.h>

namespace fundos::runtime {
namespace {

namespace fs = std::filesystem;


std::string init_hint(const std::string& label) { return "run `fundos config init " + label + "`"; }

/// %XX decoding; false on a malformed escape.
bool percent_decode(std::string_view in, std::string& out) {
    out.clear();
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '%') {
            out += in[i];
            continue;
        }
        if (i + 2 >= in.size()) {
            return false;
        }
        const auto hex = [](char c) -> int {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        };
        if (hex(in[i + 1]) < 0 || hex(in[i + 2]) < 0) {
            return false;
        }
        out += static_cast<char>(hex(in[i + 1]) * 16 + hex(in[i + 2]));
        i += 2;
    }
    return true;
}

/// A service id: the Fund's name ([A-Za-z0-9_.-], 1..64) or, for an agent, FUND/AGENT.
bool service_ok(std::string_view s) {
    if (s.empty() || s.size() > 129) {
        return false;
    }
    for (const char c : s) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                        c == '.' || c == '-' || c == '/';
        if (!ok) {
            return false;
        }
    }
    return true;
}

/// "postgresql://user:secret@host/db?password=x&sslmode=require" -> "postgresql://user@host/db?sslmode=require".
std::string redact_postgres(std::string_view url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) {
        return std::string(url);
    }
    std::string out(url.substr(0, scheme_end + 3));
    std::string_view rest = url.substr(scheme_end + 3);
    const auto authority_end = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, authority_end);
    rest = authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        std::string_view user = authority.substr(0, at);
        if (const auto colon = user.find(':'); colon != std::string_view::npos) {
            user = user.substr(0, colon);
        }
        out += std::string(user) + "@" + std::string(authority.substr(at + 1));
    } else {
        out += authority;
    }
    const auto query = rest.find('?');
    out += rest.substr(0, query);
    if (query != std::string_view::npos) {
        std::string kept;
        std::string_view params = rest.substr(query + 1);
        while (!params.empty()) {
            const auto amp = params.find('&');
            const std::string_view param = params.substr(0, amp);
            if (!param.starts_with("password=") && !param.empty()) {
                kept += kept.empty() ? '?' : '&';
                kept += param;
            }
            params = amp == std::string_view::npos ? std::string_view{} : params.substr(amp + 1);
        }
        out += kept;
    }
    return out;
}

/// One line from a library's message: trailing newlines dropped, inner ones joined with "; ".
std::string one_line(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
        text.pop_back();
    }
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\n') {
            out += "; ";
            while (i + 1 < text.size() && (text[i + 1] == ' ' || text[i + 1] == '\t')) {
                ++i;
            }
        } else {
            out += text[i];
        }
    }
    return out;
}

std::string join(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& n : names) {
        out += (out.empty() ? "" : ", ") + n;
    }
    return out;
}

/// The service to read among `services` (sorted): the one asked for, or the only one.
bool pick_service(const ConfigAddress& a, const std::vector<std::string>& services, std::string& service,
                  std::string& error) {
    if (!a.service.empty()) {
        for (const std::string& s : services) {
            if (s == a.service) {
                service = s;
                return true;
            }
        }
        error = a.label + ": no service \"" + a.service + "\" in the database" +
                (services.empty() ? std::string(" (it holds no configuration)") : std::string(" (it holds ") + join(services) + ")");
        return false;
    }
    if (services.size() == 1) {
        service = services.front();
        return true;
    }
    error = services.empty() ? a.label + ": the database holds no configuration (import one with "
                                         "`fundos config import FILE.json " + a.label + "`)"
                             : a.label + ": the database holds " + std::to_string(services.size()) +
                                   " configurations (" + join(services) + "); name one: " + a.label + "#SERVICE";
    return false;
}

std::string version_error(const ConfigAddress& a, long long version) {
    if (version < kConfigSchemaVersion) {
        return a.label + ": schema version " + std::to_string(version) + ", this Fund reads version " +
               std::to_string(kConfigSchemaVersion) + ": " + init_hint(a.label) + " to migrate it";
    }
    return a.label + ": schema version " + std::to_string(version) + " is newer than this Fund reads (" +
           std::to_string(kConfigSchemaVersion) + "): use a newer Fund";
}

/// The SQL that differs between the dialects; the read itself is the same for both (read_document).
struct DocumentQueries {
    const char* begin;              ///< a transaction that sees one state of the database
    const char* has_version_table;  ///< one row: 1 when fundos_schema_version exists, else 0
    const char* services;           ///< the funds' names, in byte order
    const char* document;           ///< the view's document for the service given as the one parameter
};

/// The document of the service `a` names (or the only one), read in one transaction through `db`
/// (SqliteReader or PostgresReader: query(sql, params, rows, result) -> bool), after checking it is
/// a configuration database at the schema version this Fund reads.
template <class Db>
FetchResult read_document(Db& db, const ConfigAddress& a, const DocumentQueries& sql) {
    FetchResult r;
    std::vector<std::string> rows;
    if (!db.query(sql.begin, {}, rows, r) || !db.query(sql.has_version_table, {}, rows, r)) {
        return r;
    }
    if (rows.empty() || rows.front() != "1") {
        r.error = a.label + ": not a FundOS configuration database (no fundos_schema_version table): " +
                  init_hint(a.label);
        return r;
    }
    if (!db.query("SELECT coalesce(max(version), 0) FROM fundos_schema_version", {}, rows, r)) {
        return r;
    }
    const long long version = rows.empty() ? 0 : std::stoll(rows.front());
    if (version != kConfigSchemaVersion) {
        r.error = version_error(a, version);
        return r;
    }
    std::vector<std::string> services;
    std::string service;
    if (!db.query(sql.services, {}, services, r) || !pick_service(a, services, service, r.error)) {
        return r;
    }
    if (!db.query(sql.document, {service}, rows, r)) {
        return r;
    }
    if (rows.size() != 1) {
        r.error = a.label + "#" + service + ": the view fundos_config_document gives " + std::to_string(rows.size()) +
                  " documents for the service, not 1";
        return r;
    }
    if (!db.query("COMMIT", {}, services, r)) {
        return r;
    }
    r.document = std::move(rows.front());
    r.source = a.label + "#" + service;
    return r;
}

// ------------------------------------------------------------------------------------------------
// SQLite

struct SqliteClose {
    void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct SqliteFinalize {
    void operator()(sqlite3_stmt* st) const noexcept { sqlite3_finalize(st); }
};
using SqliteDb = std::unique_ptr<sqlite3, SqliteClose>;
using SqliteStmt = std::unique_ptr<sqlite3_stmt, SqliteFinalize>;

class SqliteReader {
public:
    explicit SqliteReader(const ConfigAddress& a) : a_(a) {}

    FetchResult fetch() {
        FetchResult r;
        std::error_code ec;
        if (!fs::exists(a_.path, ec)) {
            r.error = a_.label + ": no such database file (create it with `fundos config init " + a_.label + "`)";
            return r;
        }
        sqlite3* raw = nullptr;
        const int rc = sqlite3_open_v2(a_.path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
        db_.reset(raw);
        if (rc != SQLITE_OK) {
            r.error = a_.label + ": cannot open: " + (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
            return r;
        }
        sqlite3_busy_timeout(db_.get(), 10'000);
        static constexpr DocumentQueries kSqlite{
            "BEGIN",
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'fundos_schema_version'",
            "SELECT name FROM fund ORDER BY name", "SELECT document FROM fundos_config_document WHERE service = ?1"};
        return read_document(*this, a_, kSqlite);
    }

    /// The first column of every row, as text (NULL as ""). Statements without rows (BEGIN,
    /// COMMIT) run the same way.
    bool query(const std::string& sql, const std::vector<std::string>& params, std::vector<std::string>& out,
               FetchResult& r) {
        out.clear();
        sqlite3_stmt* raw = nullptr;
        if (sqlite3_prepare_v2(db_.get(), sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr) != SQLITE_OK) {
            r.error = a_.label + ": " + sqlite3_errmsg(db_.get()) + " (in: " + sql + ")";
            return false;
        }
        const SqliteStmt st(raw);
        for (std::size_t i = 0; i < params.size(); ++i) {
            sqlite3_bind_text(st.get(), static_cast<int>(i + 1), params[i].c_str(), static_cast<int>(params[i].size()),
                              SQLITE_TRANSIENT);
        }
        for (;;) {
            const int rc = sqlite3_step(st.get());
            if (rc == SQLITE_DONE) {
                return true;
            }
            if (rc != SQLITE_ROW) {
                r.error = a_.label + ": " + sqlite3_errmsg(db_.get());
                return false;
            }
            const unsigned char* text = sqlite3_column_text(st.get(), 0);
            const int bytes = sqlite3_column_bytes(st.get(), 0);
            out.emplace_back(text != nullptr ? std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(bytes))
                                             : std::string());
        }
    }

private:
    const ConfigAddress& a_;
    SqliteDb db_;
};

// ------------------------------------------------------------------------------------------------
// PostgreSQL

struct PqFinish {
    void operator()(PGconn* c) const noexcept { PQfinish(c); }
};
struct PqClear {
    void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using PqConn = std::unique_ptr<PGconn, PqFinish>;
using PqResult = std::unique_ptr<PGresult, PqClear>;

class PostgresReader {
public:
    explicit PostgresReader(const ConfigAddress& a) : a_(a) {}

    FetchResult fetch() {
        FetchResult r;
        // Ours first: the URL's own parameters (expanded from "dbname") override them.
        const char* keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
        const char* values[] = {"10", "fund", a_.conninfo.c_str(), nullptr};
        conn_.reset(PQconnectdbParams(keywords, values, 1));
        if (!conn_) {
            r.error = a_.label + ": cannot connect: out of memory";
            return r;
        }
        if (PQstatus(conn_.get()) != CONNECTION_OK) {
            r.error = a_.label + ": cannot connect: " + one_line(PQerrorMessage(conn_.get()));
            return r;
        }
        static constexpr DocumentQueries kPostgres{
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
            "SELECT (to_regclass('fundos_schema_version') IS NOT NULL)::int",
            "SELECT name FROM fund ORDER BY name COLLATE \"C\"",
            "SELECT document FROM fundos_config_document WHERE service = $1"};
        return read_document(*this, a_, kPostgres);
    }

    /// The first column of every row, as text.
    bool query(const std::string& sql, const std::vector<std::string>& params, std::vector<std::string>& out,
               FetchResult& r) {
        out.clear();
        std::vector<const char*> values;
        for (const std::string& p : params) {
            values.push_back(p.c_str());
        }
        const PqResult res(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(params.size()), nullptr,
                                        values.empty() ? nullptr : values.data(), nullptr, nullptr, 0));
        const ExecStatusType status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
            r.error = a_.label + ": " + one_line(res ? PQresultErrorMessage(res.get()) : PQerrorMessage(conn_.get()));
            return false;
        }
        for (int row = 0; row < PQntuples(res.get()); ++row) {
            out.emplace_back(PQgetvalue(res.get(), row, 0), static_cast<std::size_t>(PQgetlength(res.get(), row, 0)));
        }
        return true;
    }

private:
    const ConfigAddress& a_;
    PqConn conn_;
};

}  // namespace

bool parse_config_address(const std::string& text, ConfigAddress& out, std::string& error) {
    out = ConfigAddress{};
    const std::string_view t = text;
    const bool sqlite = t.starts_with("sqlite:");
    const bool postgres = t.starts_with("postgresql:") || t.starts_with("postgres:");
    if (!sqlite && !postgres) {
        out.kind = ConfigAddress::Kind::kFile;
        out.path = text;
        out.label = text;
        return true;
    }
    std::string_view rest = t;
    if (const auto hash = t.find('#'); hash != std::string_view::npos) {
        rest = t.substr(0, hash);
        if (!percent_decode(t.substr(hash + 1), out.service) || !service_ok(out.service)) {
            error = std::string(rest) + ": the service after '#' must be a Fund's name (A-Z a-z 0-9 _ . -), got \"" +
                    std::string(t.substr(hash + 1)) + "\"";
            return false;
        }
    }
    if (sqlite) {
        out.kind = ConfigAddress::Kind::kSqlite;
        std::string_view p = rest.substr(7);
        if (p.starts_with("//")) {
            p.remove_prefix(2);
            if (!p.starts_with("/")) {
                error = std::string(rest) + ": a sqlite URL has no host: sqlite:///ABSOLUTE/PATH.db or sqlite:RELATIVE/PATH.db";
                return false;
            }
        }
        if (p.find('?') != std::string_view::npos) {
            error = std::string(rest) + ": a sqlite URL takes no parameters (after '?')";
            return false;
        }
        std::string decoded;
        if (p.empty() || !percent_decode(p, decoded) || decoded.empty()) {
            error = std::string(rest) + ": no database file: sqlite:///ABSOLUTE/PATH.db or sqlite:RELATIVE/PATH.db";
            return false;
        }
        std::error_code ec;
        fs::path absolute = fs::absolute(fs::path(decoded), ec);
        out.path = (ec ? fs::path(decoded) : absolute).lexically_normal().string();
        out.label = "sqlite://" + out.path;
        return true;
    }
    out.kind = ConfigAddress::Kind::kPostgres;
    if (!rest.starts_with("postgresql://") && !rest.starts_with("postgres://")) {
        error = std::string(rest) + ": a PostgreSQL URL starts with postgresql://";
        return false;
    }
    out.conninfo = std::string(rest);
    out.label = redact_postgres(rest);
    return true;
}

FetchResult fetch_config_document(const ConfigAddress& address) {
    try {
        switch (address.kind) {
            case ConfigAddress::Kind::kSqlite: return SqliteReader(address).fetch();
            case ConfigAddress::Kind::kPostgres: return PostgresReader(address).fetch();
            case ConfigAddress::Kind::kFile: break;
        }
        FetchResult r;
        r.error = address.label + ": not a database address";
        return r;
    } catch (const std::exception& ex) {
        FetchResult r;
        r.error = address.label + ": " + ex.what();
        return r;
    }
}

LoadResult load_config_source(const std::string& text) { return load_config_source(text, LoadOptions{}); }

LoadResult load_config_source(const std::string& text, const LoadOptions& options) {
    ConfigAddress address;
    std::string error;
    if (!parse_config_address(text, address, error)) {
        return LoadResult::failure(error);
    }
    if (address.kind == ConfigAddress::Kind::kFile) {
        return load_config(address.path, options);
    }
    FetchResult fetched = fetch_config_document(address);
    if (!fetched.ok()) {
        return LoadResult::failure(fetched.error);
    }
    return load_config_text(fetched.document, fetched.source, "", options);
}

}  // namespace fundos::runtime
