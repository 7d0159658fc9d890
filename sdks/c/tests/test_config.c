/* An agent's own configuration (<fundos/config.h>): the same configuration from a JSON file and
 * from SQLite databases (made here with the migrations' SQL, as `fundos config init` makes them,
 * and the rows `fundos config import` would write) gives the same agent, byte for byte in its JSON
 * view; paths the agent does not use are not looked up; every fault is FUNDOS_E_CONFIG (or
 * FUNDOS_E_INVALID_ARGUMENT) with one message naming the source and the service. */
#define _POSIX_C_SOURCE 200809L /* setenv, unsetenv, mkdir, chdir, scandir */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include <fundos/config.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

#define MIGRATIONS FUNDOS_SOURCE_DIR "/sdks/python/src/fundos/config/migrations/sqlite/"

/* The configuration of the tests. Its data file and alpha's working folder do not exist: the Fund
 * would refuse it, an agent reading its own part must not. */
static const char *const kConfig =
    "{\n"
    "  \"name\": \"cdemo\", \"capital\": \"1000000\",\n"
    "  \"simulation\": {\"data\": [\"/nonexistent/fundos/synth.fmd\"]},\n"
    "  \"instruments\": [\n"
    "    {\"id\": 1, \"symbol\": \"AAA\", \"tick_size\": \"0.01\", \"lot_size\": \"1\"},\n"
    "    {\"id\": 2, \"symbol\": \"BBB\", \"currency\": \"EUR\", \"restricted\": true, \"price_collar_bps\": 250,\n"
    "     \"risk\": {\"max_position\": \"12.5\"}},\n"
    "    {\"id\": 3, \"symbol\": \"CCC\", \"status\": \"disabled\"}\n"
    "  ],\n"
    "  \"agents\": [\n"
    "    {\"id\": 4, \"name\": \"alpha\", \"command\": [\"/bin/true\", \"--x\"], \"working_dir\": \"/nonexistent/fundos/alpha\",\n"
    "     \"instruments\": [\"BBB\", \"AAA\"], \"capital\": \"250000.5\", \"lease\": \"1500ms\",\n"
    "     \"silent_policy\": \"flatten\", \"wake\": \"futex\",\n"
    "     \"risk\": {\"max_order_qty\": \"100\", \"max_open_orders\": 8, \"rate_window\": \"1m\", \"halt_loss\": \"5000\"}},\n"
    "    {\"id\": 7, \"name\": \"beta\", \"instruments\": [\"AAA\"], \"capital\": \"1\"}\n"
    "  ]\n"
    "}\n";

/* The same configuration as the rows `fundos config import` writes (normalized values: durations
 * in ns, absolute paths). */
static const char *const kRows =
    "INSERT INTO fund (name, mode, capital) VALUES ('cdemo', 'simulation', '1000000');"
    "INSERT INTO simulation (fund) VALUES ('cdemo');"
    "INSERT INTO simulation_data (fund, position, path) VALUES ('cdemo', 0, '/nonexistent/fundos/synth.fmd');"
    "INSERT INTO execution (fund) VALUES ('cdemo');"
    "INSERT INTO market_data (fund) VALUES ('cdemo');"
    "INSERT INTO instrument (fund, id, position, symbol, tick_size, lot_size) VALUES ('cdemo', 1, 0, 'AAA', '0.01', '1');"
    "INSERT INTO instrument (fund, id, position, symbol, currency, restricted, price_collar_bps)"
    "  VALUES ('cdemo', 2, 1, 'BBB', 'EUR', 1, 250);"
    "INSERT INTO instrument (fund, id, position, symbol, status) VALUES ('cdemo', 3, 2, 'CCC', 'disabled');"
    "INSERT INTO risk_limits (fund, scope, instrument_id, max_position) VALUES ('cdemo', 'instrument', 2, '12.5');"
    "INSERT INTO agent (fund, id, position, name, working_dir, capital, lease_ns, silent_policy, wake)"
    "  VALUES ('cdemo', 4, 0, 'alpha', '/nonexistent/fundos/alpha', '250000.5', 1500000000, 'flatten', 'futex');"
    "INSERT INTO agent_command (fund, agent_id, position, arg) VALUES ('cdemo', 4, 0, '/bin/true'), ('cdemo', 4, 1, '--x');"
    "INSERT INTO agent_instrument (fund, agent_id, position, instrument_id) VALUES ('cdemo', 4, 0, 2), ('cdemo', 4, 1, 1);"
    "INSERT INTO risk_limits (fund, scope, agent_id, max_order_qty, max_open_orders, rate_window_ns, halt_loss)"
    "  VALUES ('cdemo', 'agent', 4, '100', 8, 60000000000, '5000');"
    "INSERT INTO agent (fund, id, position, name, working_dir, capital) VALUES ('cdemo', 7, 1, 'beta', '" FUNDOS_TEST_TMP_DIR "', '1');"
    "INSERT INTO agent_instrument (fund, agent_id, position, instrument_id) VALUES ('cdemo', 7, 0, 1);";

static char g_error[4096];

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    CHECK(fputs(text, f) >= 0);
    CHECK(fclose(f) == 0);
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot read %s: %s\n", path, strerror(errno));
        exit(1);
    }
    CHECK(fseek(f, 0, SEEK_END) == 0);
    long size = ftell(f);
    CHECK(size >= 0 && fseek(f, 0, SEEK_SET) == 0);
    char *text = malloc((size_t)size + 1);
    CHECK(text != NULL && fread(text, 1, (size_t)size, f) == (size_t)size);
    text[size] = '\0';
    fclose(f);
    return text;
}

static void exec_sql(sqlite3 *db, const char *sql) {
    char *message = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &message) != SQLITE_OK) {
        fprintf(stderr, "sqlite: %s\n", message != NULL ? message : "?");
        exit(1);
    }
}

static int is_migration(const struct dirent *entry) {
    const size_t n = strlen(entry->d_name);
    return n > 4 && strcmp(entry->d_name + n - 4, ".sql") == 0;
}

/* A configuration database at `path` (replaced): every migration in order (the schema version the
   loader reads is the newest), then `rows`. */
static void make_database(const char *path, const char *rows) {
    unlink(path);
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    struct dirent **names = NULL;
    const int count = scandir(MIGRATIONS, &names, is_migration, alphasort);
    CHECK(count > 0);
    for (int i = 0; i < count; i++) {
        char file[1024];
        snprintf(file, sizeof file, MIGRATIONS "%s", names[i]->d_name);
        char *sql = read_file(file);
        exec_sql(db, "BEGIN");
        exec_sql(db, sql);
        char version[256];
        snprintf(version, sizeof version, "INSERT INTO fundos_schema_version (version, name) VALUES (%d, '%.*s')", i + 1,
                 (int)(strlen(names[i]->d_name) - 4), names[i]->d_name);
        exec_sql(db, version);
        exec_sql(db, "COMMIT");
        free(sql);
        free(names[i]);
    }
    free(names);
    exec_sql(db, rows);
    CHECK(sqlite3_close(db) == SQLITE_OK);
}

static fundos_agent_config *load_ok(const char *address, const char *service) {
    fundos_agent_config *config = NULL;
    int rc = fundos_agent_config_load(address, service, &config, g_error, sizeof g_error);
    if (rc != FUNDOS_OK || config == NULL) {
        fprintf(stderr, "load %s %s: %d: %s\n", address, service, rc, g_error);
        exit(1);
    }
    CHECK(g_error[0] == '\0');
    return config;
}

/* A failed load: `code`, *out NULL, and every needle in the message. */
static void load_fails(const char *address, const char *service, int code, const char *needle, const char *needle2) {
    fundos_agent_config *config = (fundos_agent_config *)g_error;
    int rc = fundos_agent_config_load(address, service, &config, g_error, sizeof g_error);
    if (rc != code || config != NULL || strstr(g_error, needle) == NULL ||
        (needle2 != NULL && strstr(g_error, needle2) == NULL)) {
        fprintf(stderr, "load %s %s: expected %d with '%s' and '%s', got %d: '%s'\n", address ? address : "(null)",
                service ? service : "(null)", code, needle, needle2 ? needle2 : "", rc, g_error);
        exit(1);
    }
}

static void check_alpha(const fundos_agent_config *c, const char *source) {
    CHECK(strcmp(fundos_agent_config_service(c), "cdemo/alpha") == 0);
    CHECK(strcmp(fundos_agent_config_source(c), source) == 0);
    CHECK(strcmp(fundos_agent_config_fund(c), "cdemo") == 0);
    CHECK(fundos_agent_config_agent_id(c) == 4);
    CHECK(strcmp(fundos_agent_config_agent_name(c), "alpha") == 0);
    CHECK(fundos_agent_config_capital(c) == INT64_C(250000500000));
    CHECK(fundos_agent_config_lease_ns(c) == UINT64_C(1500000000));
    CHECK(fundos_agent_config_silent_policy(c) == FUNDOS_SILENT_FLATTEN);
    CHECK(fundos_agent_config_wake(c) == FUNDOS_WAIT_FUTEX);
    const fundos_config_limits *limits = fundos_agent_config_limits(c);
    CHECK(limits->max_order_qty == INT64_C(100000000) && limits->max_open_orders == 8);
    CHECK(limits->rate_window_ns == UINT64_C(60000000000) && limits->halt_loss == INT64_C(5000000000));
    CHECK(limits->max_position == 0 && limits->max_intents_per_window == 0 && limits->reducing_loss == 0);

    /* the mapped instruments in the configured order: BBB, then AAA; CCC (disabled) is not mapped */
    CHECK(fundos_agent_config_instrument_count(c) == 2);
    const fundos_config_instrument *bbb = fundos_agent_config_instrument(c, 0);
    const fundos_config_instrument *aaa = fundos_agent_config_instrument(c, 1);
    CHECK(fundos_agent_config_instrument(c, 2) == NULL);
    CHECK(bbb->instrument_id == 2 && strcmp(bbb->symbol, "BBB") == 0 && strcmp(bbb->currency, "EUR") == 0);
    CHECK(bbb->restricted == 1 && bbb->price_collar_bps == 250 && bbb->tick_size == 0 && bbb->lot_size == 0);
    CHECK(bbb->limits.max_position == INT64_C(12500000) && bbb->limits.rate_window_ns == UINT64_C(1000000000));
    CHECK(aaa->instrument_id == 1 && strcmp(aaa->symbol, "AAA") == 0 && strcmp(aaa->currency, "USD") == 0);
    CHECK(aaa->tick_size == INT64_C(1000000) && aaa->lot_size == INT64_C(1000000) && aaa->restricted == 0);
    CHECK(fundos_agent_config_find_instrument(c, 1) == aaa && fundos_agent_config_find_instrument(c, 2) == bbb);
    CHECK(fundos_agent_config_find_instrument(c, 3) == NULL && fundos_agent_config_find_instrument(c, 9) == NULL);

    const char *json = fundos_agent_config_json(c);
    const char *head = "{\n  \"service\": \"cdemo/alpha\",\n  \"fund\": \"cdemo\",\n  \"mode\": \"simulation\",\n";
    CHECK(strncmp(json, head, strlen(head)) == 0);
    CHECK(strstr(json, "\"lease_ns\": 1500000000,") != NULL && strstr(json, "\"lease\"") == NULL);
    CHECK(strstr(json, "\"rate_window_ns\": 60000000000,") != NULL && strstr(json, "\"rate_window\"") == NULL);
    CHECK(strstr(json, "\"capital\": \"250000.5\"") != NULL && strstr(json, "\"silent_policy\": \"flatten\"") != NULL);
    CHECK(strstr(json, "\"instruments\": [\n      \"BBB\",\n      \"AAA\"\n    ]") != NULL);
    CHECK(strstr(json, "\"tick_size\": \"0.01\"") != NULL && strstr(json, "CCC") == NULL);
    CHECK(strstr(json, "synth.fmd") == NULL);  /* the fund's simulation is not the agent's */
    CHECK(json[strlen(json) - 1] == '\n');
}

int main(void) {
    char path[1024], url[1200], address[1300];
    CHECK(mkdir(FUNDOS_TEST_TMP_DIR, 0755) == 0 || errno == EEXIST);

    /* ---- a JSON file */
    snprintf(path, sizeof path, "%s/cdemo.json", FUNDOS_TEST_TMP_DIR);
    write_file(path, kConfig);
    fundos_agent_config *from_file = load_ok(path, "cdemo/alpha");
    check_alpha(from_file, path);

    fundos_agent_config *beta = load_ok(path, "cdemo/beta");
    CHECK(fundos_agent_config_agent_id(beta) == 7 && fundos_agent_config_instrument_count(beta) == 1);
    CHECK(fundos_agent_config_silent_policy(beta) == FUNDOS_SILENT_NO_OP && fundos_agent_config_wake(beta) == FUNDOS_WAIT_SPIN);
    CHECK(fundos_agent_config_lease_ns(beta) == UINT64_C(2000000000));
    CHECK(fundos_agent_config_limits(beta)->rate_window_ns == UINT64_C(1000000000));
    fundos_agent_config_free(beta);

    /* ---- SQLite: the same agent, the same JSON view */
    snprintf(path, sizeof path, "%s/cdemo.db", FUNDOS_TEST_TMP_DIR);
    make_database(path, kRows);
    snprintf(url, sizeof url, "sqlite://%s", path);
    snprintf(address, sizeof address, "%s#cdemo", url);
    const char *addresses[] = {url, address};
    for (int i = 0; i < 2; i++) {
        fundos_agent_config *from_db = load_ok(addresses[i], "cdemo/alpha");
        check_alpha(from_db, address);
        CHECK(strcmp(fundos_agent_config_json(from_db), fundos_agent_config_json(from_file)) == 0);
        fundos_agent_config_free(from_db);
    }
    snprintf(address, sizeof address, "%s#cdemo/alpha", url);  /* the agent's whole service id */
    fundos_agent_config_free(load_ok(address, "cdemo/alpha"));
    CHECK(chdir(FUNDOS_TEST_TMP_DIR) == 0);  /* sqlite:RELATIVE is relative to the current folder */
    fundos_agent_config_free(load_ok("sqlite:cdemo.db", "cdemo/alpha"));

    /* ---- fundos_attach_options_from_config */
    fundos_attach_options options;
    fundos_attach_options_init(&options);
    char why[256];
    CHECK(fundos_attach_options_from_config(&options, from_file, why, sizeof why) == FUNDOS_OK && options.agent_id == 4);
    CHECK(fundos_attach_options_from_config(&options, from_file, why, sizeof why) == FUNDOS_OK && options.agent_id == 4);
    options.agent_id = 5;
    CHECK(fundos_attach_options_from_config(&options, from_file, why, sizeof why) == FUNDOS_E_INVALID_ARGUMENT);
    CHECK(options.agent_id == 5 && strstr(why, "agent id 5 is not the id of cdemo/alpha, which is 4") != NULL);
    CHECK(fundos_attach_options_from_config(NULL, from_file, why, sizeof why) == FUNDOS_E_INVALID_ARGUMENT);
    CHECK(fundos_attach_options_from_config(&options, NULL, why, sizeof why) == FUNDOS_E_INVALID_ARGUMENT);

    /* ---- fundos_agent_config_load_env: what `fundos run` sets */
    fundos_agent_config *env = (fundos_agent_config *)why;
    unsetenv("FUNDOS_CONFIG");
    unsetenv("FUNDOS_SERVICE");
    CHECK(fundos_agent_config_load_env(&env, g_error, sizeof g_error) == FUNDOS_OK && env == NULL);
    setenv("FUNDOS_CONFIG", url, 1);
    CHECK(fundos_agent_config_load_env(&env, g_error, sizeof g_error) == FUNDOS_E_INVALID_ARGUMENT && env == NULL);
    CHECK(strstr(g_error, "FUNDOS_SERVICE") != NULL);
    setenv("FUNDOS_SERVICE", "cdemo/alpha", 1);
    CHECK(fundos_agent_config_load_env(&env, g_error, sizeof g_error) == FUNDOS_OK && env != NULL);
    CHECK(fundos_agent_config_agent_id(env) == 4);
    fundos_agent_config_free(env);
    setenv("FUNDOS_SERVICE", "cdemo/nobody", 1);
    CHECK(fundos_agent_config_load_env(&env, g_error, sizeof g_error) == FUNDOS_E_CONFIG && env == NULL);
    unsetenv("FUNDOS_CONFIG");
    unsetenv("FUNDOS_SERVICE");

    /* ---- faults */
    char json_path[1024], prefix[1400];
    snprintf(json_path, sizeof json_path, "%s/cdemo.json", FUNDOS_TEST_TMP_DIR);
    load_fails(json_path, "alpha", FUNDOS_E_CONFIG, "service must be FUND/AGENT", "got \"alpha\"");
    load_fails(json_path, "cdemo/", FUNDOS_E_CONFIG, "service must be FUND/AGENT", NULL);
    load_fails(json_path, "/alpha", FUNDOS_E_CONFIG, "service must be FUND/AGENT", NULL);
    load_fails(json_path, "cdemo/alpha/x", FUNDOS_E_CONFIG, "service must be FUND/AGENT", NULL);
    snprintf(prefix, sizeof prefix, "%s: no agent \"nobody\" in this configuration (it has alpha, beta)", json_path);
    load_fails(json_path, "cdemo/nobody", FUNDOS_E_CONFIG, prefix, NULL);
    load_fails(json_path, "other/alpha", FUNDOS_E_CONFIG, "is the configuration of the Fund \"cdemo\", not \"other\"",
               NULL);
    snprintf(prefix, sizeof prefix, "%s#cdemo: no agent \"nobody\" in this configuration (it has alpha, beta)", url);
    load_fails(url, "cdemo/nobody", FUNDOS_E_CONFIG, prefix, NULL);
    load_fails(url, "other/alpha", FUNDOS_E_CONFIG, "no service \"other\" in the database (it holds cdemo)", NULL);
    snprintf(address, sizeof address, "%s#else", url);
    load_fails(address, "cdemo/alpha", FUNDOS_E_CONFIG, "the address names service \"else\"", NULL);
    load_fails(FUNDOS_TEST_TMP_DIR "/missing.json", "cdemo/alpha", FUNDOS_E_CONFIG, "missing.json: no such file", NULL);
    load_fails("sqlite://" FUNDOS_TEST_TMP_DIR "/missing.db", "cdemo/alpha", FUNDOS_E_CONFIG,
               "missing.db: no such database file", "fundos config init");
    load_fails("sqlite://host/x.db", "cdemo/alpha", FUNDOS_E_CONFIG, "a sqlite URL has no host", NULL);
    load_fails("", "cdemo/alpha", FUNDOS_E_CONFIG, "no configuration address", NULL);
    load_fails("postgresql://fundos:secret-word@127.0.0.1:1/cfg?connect_timeout=5", "cdemo/alpha", FUNDOS_E_CONFIG,
               "postgresql://fundos@127.0.0.1:1/cfg?connect_timeout=5: cannot connect: ", NULL);
    CHECK(strstr(g_error, "secret-word") == NULL);
    load_fails(NULL, "cdemo/alpha", FUNDOS_E_INVALID_ARGUMENT, "address is NULL", NULL);
    load_fails(json_path, NULL, FUNDOS_E_INVALID_ARGUMENT, "service is NULL", NULL);
    CHECK(fundos_agent_config_load(json_path, "cdemo/alpha", NULL, g_error, sizeof g_error) == FUNDOS_E_INVALID_ARGUMENT);

    /* an invalid configuration: the loader's own message, naming the file and the field */
    char bad_path[1024];
    snprintf(bad_path, sizeof bad_path, "%s/bad.json", FUNDOS_TEST_TMP_DIR);
    char *bad = malloc(strlen(kConfig) + 16);
    CHECK(bad != NULL);
    strcpy(bad, kConfig);
    char *at = strstr(bad, "\"halt_loss\": \"5000\"");
    CHECK(at != NULL);
    memcpy(at, "\"halt_loss\": \"-500\"", strlen("\"halt_loss\": \"-500\""));
    write_file(bad_path, bad);
    free(bad);
    snprintf(prefix, sizeof prefix, "%s: agents[0].risk.halt_loss: must be >= 0, got \"-500\"", bad_path);
    load_fails(bad_path, "cdemo/beta", FUNDOS_E_CONFIG, prefix, NULL);
    /* and a bad row in a database: an agent mapped to a disabled instrument */
    make_database(path, kRows);
    {
        sqlite3 *db = NULL;
        CHECK(sqlite3_open(path, &db) == SQLITE_OK);
        exec_sql(db, "UPDATE instrument SET status = 'disabled' WHERE symbol = 'BBB'");
        CHECK(sqlite3_close(db) == SQLITE_OK);
    }
    snprintf(prefix, sizeof prefix, "%s#cdemo: agents[0].instruments[0]: instrument \"BBB\" is disabled", url);
    load_fails(url, "cdemo/beta", FUNDOS_E_CONFIG, prefix, NULL);

    /* a short error buffer: truncated, NUL-terminated */
    char tiny[8];
    fundos_agent_config *none = NULL;
    CHECK(fundos_agent_config_load(json_path, "x", &none, tiny, sizeof tiny) == FUNDOS_E_CONFIG);
    CHECK(none == NULL && strlen(tiny) == sizeof tiny - 1);
    CHECK(fundos_agent_config_load(json_path, "x", &none, NULL, 0) == FUNDOS_E_CONFIG);

    /* NULL handles */
    CHECK(fundos_agent_config_service(NULL) == NULL && fundos_agent_config_json(NULL) == NULL);
    CHECK(fundos_agent_config_agent_id(NULL) == 0 && fundos_agent_config_instrument_count(NULL) == 0);
    CHECK(fundos_agent_config_instrument(NULL, 0) == NULL && fundos_agent_config_limits(NULL) == NULL);
    CHECK(fundos_agent_config_find_instrument(NULL, 1) == NULL);
    fundos_agent_config_free(NULL);

    fundos_agent_config_free(from_file);
    CHECK(strcmp(fundos_error_name(FUNDOS_E_CONFIG), "FUNDOS_E_CONFIG") == 0);
    printf("sdk_c_config: ok\n");
    return 0;
}
