# Regenerates nestrr/fields.h from the schema and fails if the checked-in
# copy differs. Run by CTest (logger_fields_header_up_to_date).
execute_process(COMMAND ${GEN} ${OUT} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nestrr_fields_gen failed (${rc})")
endif()
file(READ ${OUT} generated)
file(READ ${CHECKED_IN} checked_in)
if(NOT generated STREQUAL checked_in)
  message(FATAL_ERROR "hypervisor/logger/include/nestrr/fields.h is out of date with "
                      "proto/nestrr.proto; copy ${OUT} over it")
endif()
