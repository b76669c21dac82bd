/* Shared helper skeleton; see helper.h. */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static const char *helper_ident = "left4me-helper";

void helper_die(int code, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap); /* a cut line is still one line */
	va_end(ap);
	fprintf(stderr, "%s: %s\n", helper_ident, line);
	exit(code);
}

void helper_start(const char *ident, int argc, int want_argc, const char *usage)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			int nfd = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
			if (nfd != fd)
				_exit(EX_OSERR); /* cannot even report it */
		}
	}
	helper_ident = ident;
	log_init(ident);
	log_set_prefix(false);
	if (clearenv() != 0)
		helper_die(EX_OSERR, "clearenv failed");
	if (setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1) < 0)
		helper_die(EX_OSERR, "setenv PATH failed");
	umask(022);
	if (geteuid() != 0)
		helper_die(EX_NOPERM, "must run as root (via sudo -n)");
	if (argc != want_argc)
		helper_die(EX_USAGE, "usage: %s %s", ident, usage);
}

int helper_open_dir(int dirfd, const char *name)
{
	return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

int helper_open_state(void)
{
	int fd = open(LEFT4ME_STATE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		helper_die(EX_OSERR, "%s: %s", LEFT4ME_STATE_DIR, strerror(errno));
	return fd;
}

void helper_lookup_user(const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(name);
	if (!pw)
		helper_die(EX_CONFIG, "user %s does not exist", name);
	if (pw->pw_uid == 0)
		helper_die(EX_CONFIG, "user %s is root", name);
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
}

void helper_enter_host_mntns(void)
{
	struct stat self, init;
	int fd;

	if (HELPER_TEST_MODE)
		return;
	if (stat("/proc/self/ns/mnt", &self) < 0 || stat("/proc/1/ns/mnt", &init) < 0)
		helper_die(EX_OSERR, "cannot stat mount namespaces: %s", strerror(errno));
	if (self.st_ino == init.st_ino && self.st_dev == init.st_dev)
		return;
	fd = open("/proc/1/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNS) < 0)
		helper_die(EX_OSERR, "cannot enter the host mount namespace: %s", strerror(errno));
	close(fd);
}

void helper_fd_path(int fd, char *out, size_t len)
{
	char proc[64];
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, out, len - 1);
	if (n < 0 || (size_t)n >= len - 1)
		helper_die(EX_OSERR, "readlink %s: %s", proc, n < 0 ? strerror(errno) : "too long");
	out[n] = '\0';
}
