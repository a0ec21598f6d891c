/* COM1 at 115200 8N1, polled; a spin lock keeps each write whole. */
#include "uart.h"

#include <stdarg.h>
#include <stdbool.h>

#include "cpu.h"

#define COM1 0x3f8

static volatile uint32_t uart_lock;

void uart_init(void) {
  outb(COM1 + 1, 0x00); /* no interrupts */
  outb(COM1 + 3, 0x80); /* DLAB */
  outb(COM1 + 0, 0x01); /* 115200 baud */
  outb(COM1 + 1, 0x00);
  outb(COM1 + 3, 0x03); /* 8N1 */
  outb(COM1 + 2, 0xc7); /* FIFO on, cleared */
  outb(COM1 + 4, 0x03); /* DTR, RTS */
}

static void put(char c) {
  while (!(inb(COM1 + 5) & 0x20)) cpu_relax();
  outb(COM1, (uint8_t)c);
}

static void lock(void) {
  while (__atomic_exchange_n(&uart_lock, 1u, __ATOMIC_ACQUIRE)) cpu_relax();
}
static void unlock(void) { __atomic_store_n(&uart_lock, 0u, __ATOMIC_RELEASE); }

void uart_write(const char *bytes, unsigned long n) {
  lock();
  for (unsigned long i = 0; i < n; i++) put(bytes[i]);
  unlock();
}

static void put_u64(uint64_t v, unsigned base) {
  char buf[24];
  int n = 0;
  do {
    unsigned d = (unsigned)(v % base);
    buf[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
    v /= base;
  } while (v);
  while (n) put(buf[--n]);
}

void uart_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  lock();
  for (const char *p = fmt; *p; p++) {
    if (*p != '%') {
      put(*p);
      continue;
    }
    bool lng = false;
    if (p[1] == 'l') {
      lng = true;
      p++;
    }
    switch (*++p) {
      case 's': {
        const char *s = va_arg(ap, const char *);
        while (s && *s) put(*s++);
        break;
      }
      case 'u': put_u64(lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10); break;
      case 'x': put_u64(lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16); break;
      case '%': put('%'); break;
      case 0: p--; break;
      default: put('?'); break;
    }
  }
  unlock();
  va_end(ap);
}
