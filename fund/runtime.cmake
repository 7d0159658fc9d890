# The Fund's runtime pieces (included from fund/CMakeLists.txt): the configuration loader and sources,
# the journal and the run outputs, as library `fundos_runtime`. It uses only the engine's plain
# types (fundos/engine/config.hpp, engine.hpp), never its implementation, so it builds and is
# tested without fundos_engine.
find_package(nlohmann_json 3 REQUIRED)
# Configuration databases (config_source.cpp): SQLite (libsqlite3-dev) and PostgreSQL's client
# library libpq (libpq-dev), found through pkg-config.
find_package(PkgConfig REQUIRED)
pkg_check_modules(FUNDOS_SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
pkg_check_modules(FUNDOS_LIBPQ REQUIRED IMPORTED_TARGET libpq)

add_library(fundos_runtime STATIC
  src/runtime/config_json.cpp
  src/runtime/config_reload.cpp
  src/runtime/config_source.cpp
  src/runtime/crc32c.cpp
  src/runtime/equity_recorder.cpp
  src/runtime/journal.cpp
  src/runtime/run_report.cpp
)
target_include_directories(fundos_runtime PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
target_link_libraries(fundos_runtime PUBLIC fundos_abi fundos_marketdata nlohmann_json::nlohmann_json
                      PRIVATE PkgConfig::FUNDOS_SQLITE3 PkgConfig::FUNDOS_LIBPQ)
target_compile_features(fundos_runtime PUBLIC cxx_std_20)

# Plain asserting test programs (tests/check.hpp), one ctest each. They read the example and bad
# configurations from the source tree and write only under their own folder in the build tree.
foreach(test config config_reload journal report)
  add_executable(fund_test_runtime_${test} tests/test_runtime_${test}.cpp)
  target_link_libraries(fund_test_runtime_${test} PRIVATE fundos_runtime)
  target_compile_definitions(fund_test_runtime_${test} PRIVATE
    FUNDOS_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    FUNDOS_TEST_TMP_DIR="${CMAKE_CURRENT_BINARY_DIR}/test_tmp_runtime_${test}")
  add_test(NAME fund_test_runtime_${test} COMMAND fund_test_runtime_${test})
  set_tests_properties(fund_test_runtime_${test} PROPERTIES TIMEOUT 120)
endforeach()
