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
# Some kernels are built or booted without IA-32 emulation: an i386 binary
# then cannot start at all. A trivial i386 program tells that apart from a
# failing producer; the test is reported as skipped, with the reason.
file(WRITE ${EXE}_probe.c "int main(void) { return 0; }\n")
execute_process(COMMAND ${CC} -m32 ${EXE}_probe.c -o ${EXE}_probe RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "i386 build of a trivial program failed (${rc}): is gcc-multilib installed?")
endif()
execute_process(COMMAND ${EXE}_probe RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
if(NOT rc EQUAL 0)
  message("SKIPPED: this kernel does not execute i386 binaries (no IA-32 emulation); "
          "the i386 logger build is still compiled and linked")
  return()
endif()
execute_process(COMMAND ${EXE} ${OUT} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "i386 producer failed (${rc})")
endif()
