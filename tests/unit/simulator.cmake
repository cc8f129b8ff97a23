# Included by tests/unit/CMakeLists.txt: the fleet simulator's model tests.
depin_unit_test(simulator_test SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/simulator_test.cc DEPS depin_simulator)
# The shipped fleets under config/simulator are loaded by the tests.
target_compile_definitions(simulator_test PRIVATE DEPIN_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
