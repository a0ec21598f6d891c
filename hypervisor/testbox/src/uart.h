/* The 16550 UART at COM1 (0x3f8): the image's only output. */
#ifndef NESTRR_TESTBOX_UART_H
#define NESTRR_TESTBOX_UART_H

#include <stdint.h>

void uart_init(void);
/* Writes bytes as they are (the logger's sink: whole frame lines). */
void uart_write(const char *bytes, unsigned long n);
/* Console text: printf-like with %s %u %x %lx %lu only. One call is one
 * unbroken piece of output (calls from several CPUs do not interleave). */
void uart_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
