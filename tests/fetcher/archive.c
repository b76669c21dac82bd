/* Test archive builder; see archive.h. */
#include "archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <unistd.h>

/* Produce the entry's bytes in chunks. */
static void each_chunk(const struct ta_entry *e, void (*fn)(const void *, size_t, void *),
		       void *arg)
{
	static char buf[65536];
	long long left;
	unsigned st = e->seed;

	if (e->data) {
		fn(e->data, strlen(e->data), arg);
		return;
	}
	for (left = e->fill; left > 0;) {
		size_t n = left > (long long)sizeof(buf) ? sizeof(buf) : (size_t)left, i;

		for (i = 0; i < n; i++) {
			if (e->seed) {
				st = st * 1103515245u + 12345u;
				buf[i] = (char)(st >> 16);
			} else {
				buf[i] = 0;
			}
		}
		fn(buf, n, arg);
		left -= (long long)n;
	}
}

static long long entry_len(const struct ta_entry *e)
{
	return e->data ? (long long)strlen(e->data) : e->fill;
}

static void write_chunk(const void *p, size_t n, void *arg)
{
	if (archive_write_data(arg, p, n) < 0) {
		fprintf(stderr, "archive_write_data: %s\n", archive_error_string(arg));
		abort();
	}
}

void ta_write(const char *path, enum ta_format fmt, const struct ta_entry *e, size_t n)
{
	struct archive *a = archive_write_new();
	size_t i;

	if (fmt == TA_7Z) {
		archive_write_set_format_7zip(a);
	} else {
		archive_write_set_format_zip(a);
		if (fmt == TA_ZIP_STORE)
			archive_write_set_options(a, "zip:compression=store");
	}
	if (archive_write_open_filename(a, path) != ARCHIVE_OK)
		abort();
	for (i = 0; i < n; i++) {
		struct archive_entry *ae = archive_entry_new();

		archive_entry_set_pathname(ae, e[i].name);
		archive_entry_set_mtime(ae, 1700000000, 0);
		switch (e[i].type) {
		case TA_DIR:
			archive_entry_set_filetype(ae, AE_IFDIR);
			archive_entry_set_perm(ae, 0755);
			break;
		case TA_SYMLINK:
			archive_entry_set_filetype(ae, AE_IFLNK);
			archive_entry_set_perm(ae, 0777);
			archive_entry_set_symlink(ae, e[i].link);
			break;
		case TA_FILE:
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_perm(ae, 0644);
			archive_entry_set_size(ae, e[i].declared > 0 ? e[i].declared
								     : entry_len(&e[i]));
			break;
		}
		if (archive_write_header(a, ae) != ARCHIVE_OK) {
			fprintf(stderr, "archive_write_header %s: %s\n", e[i].name,
				archive_error_string(a));
			abort();
		}
		if (e[i].type == TA_FILE)
			each_chunk(&e[i], write_chunk, a);
		archive_entry_free(ae);
	}
	if (archive_write_close(a) != ARCHIVE_OK)
		abort();
	archive_write_free(a);
}

static void md5_chunk(const void *p, size_t n, void *arg)
{
	EVP_DigestUpdate(arg, p, n);
}

static void hexout(EVP_MD_CTX *md, char out[33])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned len = 0, i;

	EVP_DigestFinal_ex(md, d, &len);
	for (i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
	EVP_MD_CTX_free(md);
}

void ta_md5(const struct ta_entry *e, char out[33])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	EVP_DigestInit_ex(md, EVP_md5(), NULL);
	each_chunk(e, md5_chunk, md);
	hexout(md, out);
}

void ta_md5_file(const char *path, char out[33])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	FILE *f = fopen(path, "rb");
	char buf[65536];
	size_t n;

	if (!f)
		abort();
	EVP_DigestInit_ex(md, EVP_md5(), NULL);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		EVP_DigestUpdate(md, buf, n);
	fclose(f);
	hexout(md, out);
}

void ta_truncate(const char *path, long long len)
{
	if (truncate(path, len) < 0)
		abort();
}
