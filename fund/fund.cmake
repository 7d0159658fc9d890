# The `fund` binary: the Fund process (fund/src/process) over the engine (engine.cmake), the
# runtime pieces (runtime.cmake: configuration, journal, run outputs) and the transport.
find_package(nlohmann_json 3 REQUIRED)
if(NOT TARGET fundos_engine OR NOT TARGET fundos_runtime)
  return()
endif()

add_library(fundos_process STATIC
  src/process/market_feed.cpp
  src/process/live_feed.cpp
  src/process/replay_run.cpp
  src/process/control_server.cpp
  src/process/config_reloader.cpp
  src/process/fund_run.cpp
  src/process/venue_link.cpp
  src/process/start_reconciliation.cpp
  src/process/venue_summary.cpp
)
target_include_directories(fundos_process PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
target_link_libraries(fundos_process PUBLIC fundos_engine fundos_runtime fundos_transport fundos_marketdata
                      fundos_feed  # paper and production: the live feed (feed.cmake)
                      fundos_venue fundos_fix  # production: reconciliation (venue.cmake), FIX 4.4 (fix.cmake)
                      nlohmann_json::nlohmann_json Threads::Threads
                      PRIVATE PkgConfig::FUNDOS_LIBPQ)  # config_reloader.cpp: LISTEN for configuration changes

add_executable(fund tools/fund_main.cpp)
target_link_libraries(fund PRIVATE fundos_process)
