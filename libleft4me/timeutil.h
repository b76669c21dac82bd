/* Clocks.  Timestamps stored in the database are Unix milliseconds. */
#ifndef LEFT4ME_TIMEUTIL_H
#define LEFT4ME_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Wall clock, Unix epoch milliseconds. */
int64_t now_ms(void);
/* Monotonic clock in milliseconds, for timeouts and latency. */
int64_t mono_ms(void);
/* Monotonic clock in nanoseconds, for benchmarks. */
int64_t mono_ns(void);
/* Unix ms as "YYYY-MM-DDTHH:MM:SSZ" (UTC) into buf (>= 21 bytes); "-" for 0. */
char *time_format_utc(int64_t ms, char *buf, size_t len);

#endif
