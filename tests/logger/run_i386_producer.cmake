# Builds m32_producer.c with the logger for i386 (hosted, -m32) and runs it;
# CTest fixture for logger_i386_tests. SOURCES is "|"-separated.
string(REPLACE "|" ";" sources "${SOURCES}")
file(REMOVE ${OUT})
execute_process(
  COMMAND ${CC} -m32 -march=i686 -O2 -std=gnu11 -Wall -Wextra -Werror -fno-omit-frame-pointer
          -I${INCLUDE} ${sources} -o ${EXE}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "i386 build of the logger failed (${rc})")
endif()
execute_process(COMMAND ${EXE} ${OUT} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "i386 producer failed (${rc})")
endif()
