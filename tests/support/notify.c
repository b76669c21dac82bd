/* Notify socket stand-in; see notify.h. */
#include "notify.h"

#include <check.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "timeutil.h"

int notify_bind(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_msg(strlen(path) < sizeof(sa.sun_path), "%s: too long for a socket", path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ck_assert(fd >= 0);
	ck_assert(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	return fd;
}

void notify_read(int fd, struct strbuf *sb, int ms, const char *want)
{
	int64_t until = mono_ms() + ms;

	while (mono_ms() < until && !(want && strstr(sb->buf, want))) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		char buf[512];
		ssize_t n;

		if (poll(&p, 1, 50) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n > 0) {
			buf[n] = '\0';
			strbuf_printf(sb, "%s|", buf);
		}
	}
}
