/* Shared helper skeleton; see helper.h. */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
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

long long helper_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Kill and reap pid; errno is preserved for the caller's report. */
static void kill_reap(pid_t pid)
{
	int saved = errno;

	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	errno = saved;
}

int helper_run_read(const char *const argv[], char *out, size_t outlen, int timeout_ms)
{
	long long deadline = helper_now_ms() + timeout_ms;
	size_t len = 0;
	int pipefd[2], status;
	char extra;
	pid_t pid;

	if (outlen == 0 || pipe2(pipefd, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		int saved = errno;
		close(pipefd[0]);
		close(pipefd[1]);
		errno = saved;
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null < 0 || dup2(null, 0) < 0 || dup2(pipefd[1], 1) < 0 || dup2(null, 2) < 0)
			_exit(127);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	for (;;) {
		struct pollfd pfd = {.fd = pipefd[0], .events = POLLIN};
		long long left = deadline - helper_now_ms();
		ssize_t n;
		int ready = left > 0 ? poll(&pfd, 1, (int)left) : 0;

		if (ready < 0 && errno == EINTR)
			continue;
		if (ready == 0) {
			close(pipefd[0]);
			errno = ETIMEDOUT;
			kill_reap(pid);
			return -1;
		}
		/* Once out is full, one more byte means the output is too long. */
		n = read(pipefd[0], len < outlen - 1 ? out + len : &extra,
			 len < outlen - 1 ? outlen - 1 - len : 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* EOF (a read error: the exit status tells) */
		if (len == outlen - 1) {
			close(pipefd[0]);
			errno = EMSGSIZE;
			kill_reap(pid);
			return -1;
		}
		len += (size_t)n;
	}
	close(pipefd[0]);
	out[len] = '\0';
	/* Output closed: wait for the exit, still within the deadline. */
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return -1;
		if (helper_now_ms() >= deadline) {
			errno = ETIMEDOUT;
			kill_reap(pid);
			return -1;
		}
		struct timespec ts = {0, 5 * 1000000};
		nanosleep(&ts, NULL);
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

void helper_test_hook(const char *point)
{
#ifdef LEFT4ME_HELPER_TEST
	const char *argv[] = {LEFT4ME_STATE_DIR "/test-hook", point, NULL};
	char out[256];
	int rc;

	if (access(argv[0], X_OK) < 0)
		return;
	rc = helper_run_read(argv, out, sizeof(out), 5000);
	if (rc != 0)
		helper_die(EX_SOFTWARE, "test hook %s failed (%d)", point, rc);
#else
	(void)point;
#endif
}
