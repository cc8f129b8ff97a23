# Remote-write 2.0: decoder, native-histogram conversion, translation and
# content negotiation through the Ingester.
depin_unit_test(ingest_v2_test SOURCES ingest_v2_test.cc DEPS depin_ingest)
