# DEPIN_FUZZ=ON: every target is built with libFuzzer's coverage
# instrumentation plus ASan and UBSan, so the fuzz targets in fuzz/ see
# coverage and sanitizer reports from the whole library code they call.
# Needs clang (Debian's clang-14 with libclang-rt-14-dev); see docs/fuzzing.md.
if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "DEPIN_FUZZ needs clang: configure with CC=clang CXX=clang++ "
                      "in a separate build directory (scripts/fuzz.sh uses build-fuzz/)")
endif()
add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
                    -fno-omit-frame-pointer -g)
add_link_options(-fsanitize=address,undefined)
