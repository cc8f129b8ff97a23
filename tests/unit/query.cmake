# Included by tests/unit/CMakeLists.txt: the query API over the derived store.
depin_unit_test(query_test SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/query_test.cc DEPS depin_query)
