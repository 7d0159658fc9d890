# The live market-data feed (included from fund/CMakeLists.txt): the wire protocol's packets, the
# FeedServer that replays .fmd files as a feed and the FeedReceiver (the Fund's FeedAdapter for it)
# as library `fundos_feed`, the `fundos-feed` tool (serve, listen) and their tests. docs/FEED.md.
add_library(fundos_feed STATIC
  src/feed/net.cpp
  src/feed/packet.cpp
  src/feed/market_state.cpp
  src/feed/feed_server.cpp
  src/feed/feed_receiver.cpp
)
target_include_directories(fundos_feed PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
target_link_libraries(fundos_feed PUBLIC fundos_abi fundos_marketdata)
target_compile_features(fundos_feed PUBLIC cxx_std_20)

add_executable(fundos-feed tools/fundos_feed.cpp)
target_link_libraries(fundos-feed PRIVATE fundos_feed)

# Plain asserting test programs (tests/check.hpp), one ctest each. test_feed_wire checks the
# generated encoders against bytes written by hand; test_feed runs servers and receivers over real
# UDP and TCP sockets on 127.0.0.1 (ports the kernel picks), writing its .fmd files under its own
# folder in the build tree.
foreach(test feed_wire feed)
  add_executable(fund_test_${test} tests/test_${test}.cpp)
  target_link_libraries(fund_test_${test} PRIVATE fundos_feed Threads::Threads)
  target_compile_definitions(fund_test_${test} PRIVATE
    FUNDOS_TEST_TMP_DIR="${CMAKE_CURRENT_BINARY_DIR}/test_tmp_${test}"
    FUNDOS_LEAN_DATA_DIR="${PROJECT_SOURCE_DIR}/../shared/data/lean")
  add_test(NAME fund_${test} COMMAND fund_test_${test})
  set_tests_properties(fund_${test} PROPERTIES TIMEOUT 120)
endforeach()
