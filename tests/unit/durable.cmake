# Restart without loss: WAL framing, checkpoint round trip, recovery.
depin_unit_test(durable_test SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/durable_test.cc
  DEPS depin_durable depin_export)
