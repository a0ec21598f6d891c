# Runs a generator that writes one file and fails if the checked-in copy
# differs. Run by CTest (logger_frame_tables_up_to_date).
execute_process(COMMAND ${GEN} ${OUT} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${GEN} failed (${rc})")
endif()
file(READ ${OUT} generated)
file(READ ${CHECKED_IN} checked_in)
if(NOT generated STREQUAL checked_in)
  message(FATAL_ERROR "${WHAT} is out of date with its generator; copy ${OUT} over it")
endif()
