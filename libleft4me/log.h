/* Logging to stderr with sd-daemon "<N>" level prefixes, which journald
 * turns into priorities.  No timestamps, no log files.  Every line should
 * name its object ("job=42 server=alpha: ..."); untrusted text goes
 * through log_escape() first.  Not async-signal-safe. */
#ifndef LEFT4ME_LOG_H
#define LEFT4ME_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level {
	LOG_LEVEL_ERR = 3,
	LOG_LEVEL_WARNING = 4,
	LOG_LEVEL_NOTICE = 5,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

/* Program name put before each message when prefixes are off. */
void log_init(const char *ident);
/* Lines at a level above max are dropped (default INFO). */
void log_set_max_level(enum log_level max);
/* true: "<N>msg" (journal); false: "ident: msg" (a terminal, the CLI). */
void log_set_prefix(bool sd_prefix);
/* True when fd is the journal stream systemd named in journal_stream (the
 * value of $JOURNAL_STREAM, "DEV:INODE"; may be NULL): only then do "<N>"
 * prefixes mean priorities. */
bool log_fd_is_journal(int fd, const char *journal_stream);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_err(...)	log_msg(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LEVEL_NOTICE, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

/* Log at LOG_ERR and exit(1): for what the process cannot survive. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Copy untrusted text into buf (size >= 5), escaping control and non-ASCII
 * bytes as \xNN and cutting it at size-1 bytes with a "..." marker.
 * Returns buf. */
char *log_escape(char *buf, size_t size, const char *text, size_t len);

#endif
