# The C SDK's example agents beyond fundos_momentum_agent. Included from sdks/c/CMakeLists.txt
# after the `fundos_agent` library target exists:
#
#   include(${CMAKE_CURRENT_SOURCE_DIR}/examples/examples.cmake)
#
# Each example is one C11 file over <fundos/agent.h> (breakout_agent.c also reads its own
# configuration with <fundos/config.h>); the programs land in the binary folder of sdks/c
# (<build>/sdks/c/), next to fundos_momentum_agent.

include(GNUInstallDirs)

# Channel breakout: ORDER MARKET entries, FLATTEN when the channel reverses; trades the
# instruments its configuration maps to it.
add_executable(fundos_breakout_agent ${CMAKE_CURRENT_LIST_DIR}/breakout_agent.c)
target_link_libraries(fundos_breakout_agent PRIVATE fundos_agent_config fundos_agent)
target_compile_options(fundos_breakout_agent PRIVATE -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wconversion
                                                     -Wno-sign-conversion)
set_target_properties(fundos_breakout_agent PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
install(TARGETS fundos_breakout_agent RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
