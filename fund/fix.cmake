# Production mode's venue side (included from fund/CMakeLists.txt): FIX 4.4 over QuickFIX
# (Debian's libquickfix-dev, found with pkg-config) as library `fundos_fix` (the order state
# machine, FixVenue, the exchange simulator's book and acceptor), the `fundos-exchange` tool and
# their tests. QuickFIX's headers stay inside src/fix (src/fix/quickfix.hpp). docs/FIX.md.
find_package(PkgConfig REQUIRED)
pkg_check_modules(FUNDOS_QUICKFIX REQUIRED IMPORTED_TARGET quickfix)

add_library(fundos_fix STATIC
  src/fix/cl_ord_id.cpp
  src/fix/order_state.cpp
  src/fix/fix_fields.cpp
  src/fix/fix_venue.cpp
  src/fix/exchange_book.cpp
  src/fix/exchange.cpp
)
target_include_directories(fundos_fix PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
target_link_libraries(fundos_fix PUBLIC fundos_abi fundos_feed Threads::Threads PRIVATE PkgConfig::FUNDOS_QUICKFIX)
target_compile_features(fundos_fix PUBLIC cxx_std_20)

add_executable(fundos-exchange tools/fundos_exchange.cpp)
target_link_libraries(fundos-exchange PRIVATE fundos_fix)

# test_fix_order_state, test_fix_exchange_book: the state machine and the matching engine alone.
# test_fix_venue: FixVenue against fundos-exchange processes over loopback (FIX on 127.0.0.1, the
# feed on a multicast group on 127.0.0.1), with .fmd files it writes under its own folder in the
# build tree.
foreach(test fix_order_state fix_exchange_book fix_venue)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/tests/test_${test}.cpp)
    add_executable(fund_test_${test} tests/test_${test}.cpp)
    target_link_libraries(fund_test_${test} PRIVATE fundos_fix Threads::Threads)
    target_compile_definitions(fund_test_${test} PRIVATE
      FUNDOS_TEST_TMP_DIR="${CMAKE_CURRENT_BINARY_DIR}/test_tmp_${test}"
      FUNDOS_EXCHANGE_TOOL="$<TARGET_FILE:fundos-exchange>")
    add_test(NAME fund_${test} COMMAND fund_test_${test})
    set_tests_properties(fund_${test} PROPERTIES TIMEOUT 180)
  endif()
endforeach()
if(TARGET fund_test_fix_venue)
  add_dependencies(fund_test_fix_venue fundos-exchange)
endif()
