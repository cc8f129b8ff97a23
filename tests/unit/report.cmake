# Included by tests/unit/CMakeLists.txt: reports (leaders, movers, incidents,
# CSV and HTML rendering, the on-demand handler and the scheduler).
depin_unit_test(report_test SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/report_test.cc DEPS depin_report)
