/* The widen=POINT:NANOSECONDS grammar of a scenario: one parser for the
 * testbox image's kernel command line and the host's scenarios (record,
 * replay, the log's header). POINT is "vmxon" (between VMXON's two stores)
 * or a yield point id 1..255; NANOSECONDS a decimal number. */
#ifndef NESTRR_CORE_WIDENING_H
#define NESTRR_CORE_WIDENING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Parses the text after "widen=" (len bytes, no terminator needed); false
 * (outputs untouched) if it is not POINT:NANOSECONDS. */
bool core_widening_parse(const char *spec, size_t len, uint32_t *point, uint64_t *nanoseconds);

#ifdef __cplusplus
}
#endif

#endif
