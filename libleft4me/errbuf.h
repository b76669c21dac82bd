/* The one way a function fills its caller's error buffer (char *err,
 * size_t errlen): one line, cut if it does not fit. */
#ifndef LEFT4ME_ERRBUF_H
#define LEFT4ME_ERRBUF_H

#include <stddef.h>

/* Format into err (nothing when err is NULL or errlen 0); returns -1, so
 * that `return err_set(err, errlen, "...", ...);` fails a function. */
int err_set(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
