# The Fund's deterministic engine (issue #5): risk, netting, simulated execution, accounting and
# journal records. Included by fund/CMakeLists.txt; this file owns the targets below.

file(GLOB FUNDOS_ENGINE_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/engine/*.cpp)
add_library(fundos_engine STATIC ${FUNDOS_ENGINE_SOURCES})
target_include_directories(fundos_engine PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
target_link_libraries(fundos_engine PUBLIC fundos_abi fundos_marketdata)
target_compile_features(fundos_engine PUBLIC cxx_std_20)

# Plain asserting test programs (tests/check.hpp), one ctest each: fund_engine_<part>.
set(FUNDOS_ENGINE_TESTS engine_ledger engine_execution engine_netting engine_risk engine_determinism
    engine_config_change engine_venue)
foreach(test ${FUNDOS_ENGINE_TESTS})
  add_executable(fund_test_${test} tests/test_${test}.cpp)
  target_link_libraries(fund_test_${test} PRIVATE fundos_engine)
  add_test(NAME fund_${test} COMMAND fund_test_${test})
  set_tests_properties(fund_${test} PROPERTIES TIMEOUT 120)
endforeach()

# Line-protocol probe of the allocation code for the Python property test
# (tests/fund/test_netting_properties.py).
add_executable(fund_netting_probe tests/netting_probe.cpp)
target_link_libraries(fund_netting_probe PRIVATE fundos_engine)

add_custom_target(fundos_engine_all)
add_dependencies(fundos_engine_all fundos_engine fund_netting_probe)
foreach(test ${FUNDOS_ENGINE_TESTS})
  add_dependencies(fundos_engine_all fund_test_${test})
endforeach()
