# The Fund's configuration loader (fundos::runtime::load_config_source: config_source.cpp reads a
# JSON file, a SQLite database or a PostgreSQL server; config_json.cpp checks and normalizes) as
# the agent SDKs compile it into their own libraries: the C SDK's fundos_agent_config
# (sdks/c/CMakeLists.txt) and the Python extension fundos._core (sdks/python/CMakeLists.txt).
# One list of sources, one set of dependencies, so an agent reads its configuration with exactly
# the Fund's rules (docs/CONFIG.md, "Agents read their own configuration").
#
# Defines:
#   FUNDOS_CONFIG_LOADER_SOURCES   the loader's .cpp files (C++20)
#   fundos_config_loader           an INTERFACE target with what they need: fund/include, the
#                                  generated C++ ABI header, nlohmann-json, libsqlite3 and libpq
#                                  (pkg-config), C++20
# Needs the generated headers in generated/cpp (the repository's committed abigen output).
set(FUNDOS_CONFIG_LOADER_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/src/runtime/config_json.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/runtime/config_source.cpp)

if(NOT TARGET fundos_config_loader)
  find_package(nlohmann_json 3 REQUIRED)
  find_package(PkgConfig REQUIRED)
  # GLOBAL: the imported targets are used from other folders than the one that includes this.
  pkg_check_modules(FUNDOS_LOADER_SQLITE3 REQUIRED IMPORTED_TARGET GLOBAL sqlite3)
  pkg_check_modules(FUNDOS_LOADER_LIBPQ REQUIRED IMPORTED_TARGET GLOBAL libpq)
  add_library(fundos_config_loader INTERFACE)
  target_include_directories(fundos_config_loader INTERFACE
      ${CMAKE_CURRENT_LIST_DIR}/include ${CMAKE_CURRENT_LIST_DIR}/../generated/cpp)
  target_link_libraries(fundos_config_loader INTERFACE nlohmann_json::nlohmann_json
                        PkgConfig::FUNDOS_LOADER_SQLITE3 PkgConfig::FUNDOS_LOADER_LIBPQ)
  target_compile_features(fundos_config_loader INTERFACE cxx_std_20)
endif()
