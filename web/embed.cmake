# Writes OUTPUT from TEMPLATE with the page's files (WEB_DIR/ui.html, ui.css,
# ui.js) in raw string literals; run at build time by src/web/CMakeLists.txt,
# so editing a file under web/ rebuilds only the sidecar's page.
foreach(var WEB_DIR TEMPLATE OUTPUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "embed.cmake: -D${var}=... is required")
  endif()
endforeach()
foreach(pair "html;HTML" "css;CSS" "js;JS")
  list(GET pair 0 ext)
  list(GET pair 1 name)
  file(READ "${WEB_DIR}/ui.${ext}" content)
  string(FIND "${content}" ")depin_ui\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${WEB_DIR}/ui.${ext} contains the raw-string delimiter )depin_ui\"")
  endif()
  set(DEPIN_UI_${name} "${content}")
endforeach()
configure_file("${TEMPLATE}" "${OUTPUT}" @ONLY)
