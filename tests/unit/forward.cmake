# Included by tests/unit/CMakeLists.txt: onward remote-write (src/forward),
# against real HTTP servers on 127.0.0.1 and real files.
depin_unit_test(forward_test SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/forward_test.cc
  DEPS depin_forward depin_proto Snappy::snappy PkgConfig::HTTPLIB OpenSSL::SSL OpenSSL::Crypto)
