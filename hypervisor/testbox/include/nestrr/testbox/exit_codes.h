/*
 * How the testbox image ends a run, shared by the image and the host side.
 * The image writes one of these values to QEMU's isa-debug-exit port
 * (TESTBOX_EXIT_PORT); QEMU then exits with status (value << 1) | 1.
 * Any other QEMU status means the image never got to say (a triple fault
 * with -no-reboot exits 0, a killed QEMU has a signal).
 */
#ifndef NESTRR_TESTBOX_EXIT_CODES_H
#define NESTRR_TESTBOX_EXIT_CODES_H

#define TESTBOX_EXIT_PORT 0xf4

enum testbox_exit {
  TESTBOX_EXIT_COMPLETED = 0x10, /* every workload ran its iterations */
  TESTBOX_EXIT_ASSERTION = 0x11, /* the core failed an assertion: log is out */
  TESTBOX_EXIT_PANIC = 0x12,     /* CPU exception, bad command line, boot failure */
  TESTBOX_EXIT_TIME_LIMIT = 0x13, /* time-limit= passed: every CPU cut, log is out */
};

/* QEMU's exit status for an image exit value. */
#define TESTBOX_QEMU_STATUS(v) (((v) << 1) | 1)

#endif
