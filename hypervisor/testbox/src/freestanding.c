/* The four memory functions GCC may call even in freestanding code
 * (struct copies and initializers). */
#include <stddef.h>
#include <stdint.h>

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);

void *memset(void *d, int c, size_t n) {
  volatile uint8_t *p = (volatile uint8_t *)d;
  for (size_t i = 0; i < n; i++) p[i] = (uint8_t)c;
  return d;
}

void *memcpy(void *d, const void *s, size_t n) {
  volatile uint8_t *p = (volatile uint8_t *)d;
  const uint8_t *q = (const uint8_t *)s;
  for (size_t i = 0; i < n; i++) p[i] = q[i];
  return d;
}

void *memmove(void *d, const void *s, size_t n) {
  volatile uint8_t *p = (volatile uint8_t *)d;
  const uint8_t *q = (const uint8_t *)s;
  if (p < q) {
    for (size_t i = 0; i < n; i++) p[i] = q[i];
  } else {
    for (size_t i = n; i-- > 0;) p[i] = q[i];
  }
  return d;
}

int memcmp(const void *a, const void *b, size_t n) {
  const uint8_t *p = (const uint8_t *)a, *q = (const uint8_t *)b;
  for (size_t i = 0; i < n; i++)
    if (p[i] != q[i]) return p[i] < q[i] ? -1 : 1;
  return 0;
}
