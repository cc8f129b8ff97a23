# Shared compile settings for every target of the project.
function(depin_compile_options target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wpedantic)
  if(DEPIN_SANITIZE)
    # GCC 12 reports false -Wmaybe-uninitialized inside libstdc++'s <regex>
    # and <functional>, and false -Wrestrict on std::string assignment (GCC
    # bug 105651), when instrumented; the normal build keeps both checks.
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined
                           -fno-omit-frame-pointer -fno-sanitize-recover=all
                           -Wno-maybe-uninitialized -Wno-restrict)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# depin_library(<name> SOURCES ... DEPS ...): a static library rooted at src/.
function(depin_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  depin_compile_options(${name})
endfunction()

# depin_unit_test(<name> SOURCES ... DEPS ...): a GoogleTest binary run by CTest.
function(depin_unit_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  depin_compile_options(${name})
  add_test(NAME unit.${name} COMMAND ${name})
  set_tests_properties(unit.${name} PROPERTIES LABELS unit TIMEOUT 120)
  set_property(GLOBAL APPEND PROPERTY DEPIN_UNIT_TEST_TARGETS ${name})
endfunction()
