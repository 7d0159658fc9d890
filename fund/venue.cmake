# The boundary with a live execution venue (fundos/venue/venue.hpp) and start-up reconciliation.
# Included by fund/CMakeLists.txt; this file owns the targets below.

add_library(fundos_venue STATIC src/venue/reconcile.cpp)
target_include_directories(fundos_venue PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
target_link_libraries(fundos_venue PUBLIC fundos_abi)
target_compile_features(fundos_venue PUBLIC cxx_std_20)

add_executable(fund_test_venue_reconcile tests/test_venue_reconcile.cpp)
target_link_libraries(fund_test_venue_reconcile PRIVATE fundos_venue)
add_test(NAME fund_venue_reconcile COMMAND fund_test_venue_reconcile)
set_tests_properties(fund_venue_reconcile PROPERTIES TIMEOUT 60)
