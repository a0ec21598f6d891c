# Turns the report's web files into a C++ source with one string per file,
# so the template stays a set of real HTML/CSS/JS files and the binary
# carries it (the report needs nothing at run time).
# Several files for one string (a,b,c) are joined in that order.
#   cmake -DOUT=web_assets.cc -DINPUTS="kHtml=report.html|kCss=report.css|kJs=a.js,b.js" -P embed_web.cmake
set(text "// Generated from report/web/ by report/embed_web.cmake: do not edit.\nnamespace nestrr::report::web {\n")
string(REPLACE "|" ";" inputs "${INPUTS}")
foreach(pair IN LISTS inputs)
  string(REPLACE "=" ";" parts "${pair}")
  list(GET parts 0 name)
  list(GET parts 1 files)
  string(REPLACE "," ";" files "${files}")
  set(content "")
  foreach(file IN LISTS files)
    file(READ "${file}" part)
    string(FIND "${part}" ")nestrr_web\"" clash)
    if(NOT clash EQUAL -1)
      message(FATAL_ERROR "${file} contains the raw-string delimiter )nestrr_web\"")
    endif()
    string(APPEND content "${part}")
  endforeach()
  string(APPEND text "extern const char ${name}[];\nconst char ${name}[] = R\"nestrr_web(${content})nestrr_web\";\n")
endforeach()
string(APPEND text "}  // namespace nestrr::report::web\n")
file(WRITE "${OUT}.tmp" "${text}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
