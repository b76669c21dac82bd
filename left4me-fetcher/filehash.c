/* md5s of files being written, in a second thread; see filehash.h. */
#include "filehash.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xalloc.h"

/* Read-back size: big enough that syscalls cost nothing next to MD5. */
#define FILEHASH_BUF (256 * 1024)

struct filehash_file {
	int fd;		 /* our dup; -1 once hashed */
	int64_t written; /* bytes [0, written) are final */
	bool ended;	 /* written is the size */
	char hex[33];
};

struct filehash {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t work;	 /* the thread waits: bytes to hash, or stop */
	pthread_cond_t progress; /* callers wait: a file hashed, or err */
	EVP_MD_CTX *md;		 /* the thread's */
	unsigned char *buf;	 /* the thread's */
	/* Under lock: */
	struct filehash_file *files;
	size_t n;    /* files added */
	size_t done; /* files hashed; files[done] is the one being hashed */
	bool stop;
	int err; /* errno of a failed read-back (EIO: file shorter than said) */
};

static void hex16(const unsigned char *d, char out[33])
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 16; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[32] = '\0';
}

/* Hash files[done] from pos on, in order; called and returns with lock. */
static void *filehash_thread(void *arg)
{
	struct filehash *h = arg;
	int64_t pos = 0; /* in files[done] */

	pthread_mutex_lock(&h->lock);
	for (;;) {
		struct filehash_file *f = h->done < h->n ? &h->files[h->done] : NULL;
		unsigned char dig[EVP_MAX_MD_SIZE];
		unsigned dlen = 0;
		size_t want;
		ssize_t n;
		int fd;

		if (h->stop)
			break;
		if (!f || (pos == f->written && !f->ended)) {
			pthread_cond_wait(&h->work, &h->lock);
			continue;
		}
		if (pos == f->written) {
			if (!EVP_DigestFinal_ex(h->md, dig, &dlen) || dlen != 16 ||
			    !EVP_DigestInit_ex(h->md, EVP_md5(), NULL)) {
				h->err = ENOMEM;
				break;
			}
			hex16(dig, f->hex);
			close(f->fd);
			f->fd = -1;
			h->done++;
			pos = 0;
			pthread_cond_broadcast(&h->progress);
			continue;
		}
		want = f->written - pos > FILEHASH_BUF ? FILEHASH_BUF : (size_t)(f->written - pos);
		fd = f->fd;
		pthread_mutex_unlock(&h->lock);
		/* Bytes below `written` are final: read them unlocked. */
		n = pread(fd, h->buf, want, pos);
		if (n > 0)
			EVP_DigestUpdate(h->md, h->buf, (size_t)n);
		pthread_mutex_lock(&h->lock);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			h->err = n < 0 ? errno : EIO;
			break;
		}
		pos += n;
	}
	pthread_cond_broadcast(&h->progress);
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

struct filehash *filehash_new(void)
{
	struct filehash *h = xcalloc(1, sizeof(*h));
	sigset_t all, old;
	int e;

	h->md = EVP_MD_CTX_new();
	if (!h->md || !EVP_DigestInit_ex(h->md, EVP_md5(), NULL)) {
		EVP_MD_CTX_free(h->md);
		free(h);
		errno = ENOMEM;
		return NULL;
	}
	h->buf = xmalloc(FILEHASH_BUF);
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->work, NULL);
	pthread_cond_init(&h->progress, NULL);
	/* Signals go to the main thread, whose waits they are meant to cut
	 * short (the daemon's SIGTERM handler has no SA_RESTART). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&h->thread, NULL, filehash_thread, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		pthread_cond_destroy(&h->progress);
		pthread_cond_destroy(&h->work);
		pthread_mutex_destroy(&h->lock);
		free(h->buf);
		EVP_MD_CTX_free(h->md);
		free(h);
		errno = e;
		return NULL;
	}
	return h;
}

void filehash_free(struct filehash *h)
{
	size_t i;

	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	h->stop = true;
	pthread_cond_signal(&h->work);
	pthread_mutex_unlock(&h->lock);
	pthread_join(h->thread, NULL);
	for (i = 0; i < h->n; i++)
		if (h->files[i].fd >= 0)
			close(h->files[i].fd);
	free(h->files);
	pthread_cond_destroy(&h->progress);
	pthread_cond_destroy(&h->work);
	pthread_mutex_destroy(&h->lock);
	free(h->buf);
	EVP_MD_CTX_free(h->md);
	free(h);
}

int filehash_add(struct filehash *h, int fd)
{
	int e = 0, dfd;

	pthread_mutex_lock(&h->lock);
	assert(h->n == 0 || h->files[h->n - 1].ended);
	while (!h->err && h->n - h->done >= FILEHASH_MAX_PENDING)
		pthread_cond_wait(&h->progress, &h->lock);
	if (h->err)
		e = h->err;
	else if ((dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0)
		e = errno;
	if (!e) {
		/* The thread indexes files[] only under lock: realloc is safe. */
		h->files = xreallocarray(h->files, h->n + 1, sizeof(*h->files));
		h->files[h->n++] = (struct filehash_file){.fd = dfd};
		pthread_cond_signal(&h->work);
	}
	pthread_mutex_unlock(&h->lock);
	errno = e;
	return e ? -1 : 0;
}

void filehash_advance(struct filehash *h, int64_t written)
{
	pthread_mutex_lock(&h->lock);
	assert(h->n > 0 && !h->files[h->n - 1].ended && written >= h->files[h->n - 1].written);
	h->files[h->n - 1].written = written;
	pthread_cond_signal(&h->work);
	pthread_mutex_unlock(&h->lock);
}

void filehash_end(struct filehash *h)
{
	pthread_mutex_lock(&h->lock);
	assert(h->n > 0);
	h->files[h->n - 1].ended = true;
	pthread_cond_signal(&h->work);
	pthread_mutex_unlock(&h->lock);
}

int filehash_result(struct filehash *h, size_t i, char hex[33])
{
	int e = 0;

	pthread_mutex_lock(&h->lock);
	assert(i < h->n && h->files[i].ended);
	while (!h->err && h->done <= i)
		pthread_cond_wait(&h->progress, &h->lock);
	if (h->done > i)
		memcpy(hex, h->files[i].hex, 33);
	else
		e = h->err;
	pthread_mutex_unlock(&h->lock);
	if (e) {
		hex[0] = '\0';
		errno = e;
		return -1;
	}
	return 0;
}
