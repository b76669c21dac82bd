/* Console commands and their FIFO; see console.h.  Tested in
 * tests/unit/check_console.c. */
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rcon.h"
#include "strbuf.h"
#include "validate.h"

bool console_command_ok(const char *cmd, size_t len, char *why, size_t whylen)
{
	size_t i;

	if (!cmd || len == 0) {
		if (why && whylen)
			snprintf(why, whylen, "a console command must not be empty");
		return false;
	}
	if (len > CONSOLE_COMMAND_MAX) {
		if (why && whylen)
			snprintf(why, whylen, "a console command is at most %d bytes (got %zu)",
				 CONSOLE_COMMAND_MAX, len);
		return false;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)cmd[i];

		if (c < 0x20 || c == 0x7f) {
			if (why && whylen)
				snprintf(why, whylen,
					 "a console command must not contain control characters "
					 "(byte 0x%02x at offset %zu)",
					 c, i);
			return false;
		}
	}
	/* left4me owns the RCON password (docs/SECURITY.md, "RCON"): a
	 * command naming it would set one nobody is shown, and the
	 * launcher echoes every command into the journal. */
	if (rcon_setting_at(cmd, len) >= 0) {
		if (why && whylen)
			snprintf(why, whylen,
				 "a console command must not name " RCON_SETTING
				 ": left4me sets it; rotate it on the server's page or with "
				 "left4mectl server rcon rotate");
		return false;
	}
	return true;
}

/* Open DIR/NAME as a directory without following a symlink. */
static int open_dir_at(int dirfd, const char *name)
{
	return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* write(2) with SIGPIPE blocked, and a SIGPIPE it raised consumed, so a
 * reader that goes away between open and write costs EPIPE, not the
 * caller's life (left4mectl does not ignore SIGPIPE). */
static ssize_t write_nosigpipe(int fd, const void *buf, size_t len)
{
	const struct timespec zero = {0, 0};
	sigset_t pipe_set, old, pending;
	ssize_t w;
	int saved;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	bool was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	w = write(fd, buf, len);
	saved = errno;
	if (w < 0 && saved == EPIPE && !was_pending)
		(void)sigtimedwait(&pipe_set, NULL, &zero);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return w;
}

enum console_send_result console_send(const char *state_dir, const char *name, const char *cmd,
				      char *err, size_t errlen)
{
	char line[CONSOLE_COMMAND_MAX + 1];
	char why[160];
	int state = -1, dir = -1, fifo = -1;
	enum console_send_result res = CONSOLE_ERROR;
	size_t len = cmd ? strlen(cmd) : 0;
	struct stat st;
	ssize_t w;

	if (!valid_instance_name(name)) {
		snprintf(err, errlen, "invalid server name");
		return CONSOLE_INVALID;
	}
	if (!console_command_ok(cmd, len, why, sizeof(why))) {
		snprintf(err, errlen, "%s", why);
		return CONSOLE_INVALID;
	}
	state = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (state < 0) {
		snprintf(err, errlen, "%s: %s", state_dir, strerror(errno));
		return CONSOLE_ERROR;
	}
	dir = open_dir_at(state, CONSOLE_DIR);
	if (dir >= 0)
		fifo = openat(dir, name, O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (fifo < 0) {
		if (errno == ENOENT || errno == ENXIO) {
			snprintf(err, errlen,
				 "server %s is not running (its console has no reader)", name);
			res = CONSOLE_NOT_RUNNING;
		} else {
			snprintf(err, errlen, "%s/%s: %s", CONSOLE_DIR, name, strerror(errno));
		}
		goto out;
	}
	if (fstat(fifo, &st) < 0 || !S_ISFIFO(st.st_mode)) {
		snprintf(err, errlen, "%s/%s is not a FIFO: refused", CONSOLE_DIR, name);
		goto out;
	}
	memcpy(line, cmd, len);
	line[len] = '\n';
	w = write_nosigpipe(fifo, line, len + 1);
	if (w == (ssize_t)(len + 1)) {
		res = CONSOLE_SENT;
	} else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		snprintf(err, errlen, "the console of server %s is full (try again)", name);
		res = CONSOLE_BUSY;
	} else if (w < 0 && errno == EPIPE) {
		snprintf(err, errlen, "server %s is not running (its console has no reader)", name);
		res = CONSOLE_NOT_RUNNING;
	} else {
		snprintf(err, errlen, "%s/%s: %s", CONSOLE_DIR, name,
			 w < 0 ? strerror(errno) : "short write");
	}
out:
	if (fifo >= 0)
		close(fifo);
	if (dir >= 0)
		close(dir);
	close(state);
	return res;
}

/* Whether the console word w[0..len) names a secret setting. */
static bool secret_word(const char *w, size_t len)
{
	static const char *const marks[] = {"password", "passwd",	"token",
					    "secret",	"steamaccount", "key"};
	char low[64];
	size_t i;

	if (len == 0 || len >= sizeof(low))
		return len > 0; /* an odd, very long word: withhold */
	for (i = 0; i < len; i++)
		low[i] = (char)((w[i] >= 'A' && w[i] <= 'Z') ? w[i] + 32 : w[i]);
	low[len] = '\0';
	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (strstr(low, marks[i]))
			return true;
	return false;
}

void console_audit_text(const char *cmd, char *out, size_t outlen)
{
	struct strbuf sb;
	const char *p = cmd;

	strbuf_init(&sb);
	while (*p) {
		size_t stmt = strcspn(p, ";"), lead = strspn(p, " \t"), word;

		if (lead > stmt)
			lead = stmt;
		word = strcspn(p + lead, " \t;");
		if (secret_word(p + lead, word) && lead + word < stmt)
			strbuf_printf(&sb, "%.*s (withheld)", (int)(lead + word), p);
		else
			strbuf_printf(&sb, "%.*s", (int)stmt, p);
		p += stmt;
		if (*p == ';') {
			strbuf_putc(&sb, ';');
			p++;
		}
	}
	snprintf(out, outlen, "%s", sb.buf ? sb.buf : "");
	strbuf_fini(&sb);
}
