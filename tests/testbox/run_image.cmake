# Boots the testbox image in QEMU with a command line and checks how it
# ended: QEMU's exit status and a line the console must show.
#   -DQEMU= -DIMAGE= -DAPPEND= -DSMP= -DEXPECT_STATUS= -DEXPECT_TEXT=
execute_process(
  COMMAND ${QEMU} -kernel ${IMAGE} -accel tcg,thread=multi -smp ${SMP} -m 128M
          -display none -serial stdio -monitor none -no-reboot
          -device isa-debug-exit,iobase=0xf4,iosize=0x04 -append "${APPEND}"
  RESULT_VARIABLE status
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err
  TIMEOUT 60)
message("${out}")
if(NOT status STREQUAL "${EXPECT_STATUS}")
  message(FATAL_ERROR "QEMU exited with '${status}', expected ${EXPECT_STATUS}; stderr: ${err}")
endif()
string(FIND "${out}" "${EXPECT_TEXT}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "the console does not show '${EXPECT_TEXT}'")
endif()
