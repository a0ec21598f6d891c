# Fails when the freestanding core object needs any symbol from outside:
# everything machine-specific must go through struct core_platform.
execute_process(COMMAND ${NM} -u ${OBJ}
  OUTPUT_VARIABLE undefined RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nm failed on ${OBJ}")
endif()
string(STRIP "${undefined}" undefined)
if(NOT undefined STREQUAL "")
  message(FATAL_ERROR "freestanding core has undefined symbols:\n${undefined}")
endif()
message(STATUS "freestanding core: no undefined symbols")
