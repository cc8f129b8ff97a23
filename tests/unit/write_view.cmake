# The remote-write 1.0 wire reader, checked against libprotobuf.
depin_unit_test(write_view_test SOURCES write_view_test.cc DEPS depin_ingest)
