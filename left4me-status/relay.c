/* systemd's lines into the game console; see relay.h. */
#include "relay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <systemd/sd-journal.h>

#include "log.h"
#include "validate.h"
#include "xalloc.h"

#define UNIT_FIELD  "UNIT="
#define UNIT_PREFIX "left4me-server@"
#define UNIT_SUFFIX ".service"

struct console_relay {
	sd_journal *j;
};

bool console_relay_server(const char *unit, size_t len, char *name, size_t namelen)
{
	size_t pl = strlen(UNIT_PREFIX), sl = strlen(UNIT_SUFFIX), nl;

	if (len <= pl + sl || memcmp(unit, UNIT_PREFIX, pl) != 0 ||
	    memcmp(unit + len - sl, UNIT_SUFFIX, sl) != 0)
		return false;
	nl = len - pl - sl;
	if (nl >= namelen || memchr(unit + pl, '\0', nl))
		return false;
	memcpy(name, unit + pl, nl);
	name[nl] = '\0';
	return valid_server_name(name);
}

struct console_relay *console_relay_open(char *err, size_t errlen)
{
	struct console_relay *r = xcalloc(1, sizeof(*r));
	int rc = sd_journal_open(&r->j, SD_JOURNAL_SYSTEM | SD_JOURNAL_LOCAL_ONLY);

	/* _PID=1 is set by journald: only systemd's own lines. */
	if (rc >= 0 && (rc = sd_journal_add_match(r->j, "_PID=1", 0)) >= 0 &&
	    (rc = sd_journal_seek_tail(r->j)) >= 0 && (rc = sd_journal_previous(r->j)) >= 0 &&
	    (rc = sd_journal_get_fd(r->j)) >= 0)
		return r;
	snprintf(err, errlen, "cannot read the system journal: %s", strerror(-rc));
	console_relay_close(r);
	return NULL;
}

int console_relay_fd(struct console_relay *r)
{
	return sd_journal_get_fd(r->j);
}

int console_relay_events(struct console_relay *r)
{
	int e = sd_journal_get_events(r->j);

	return e > 0 ? e : 0;
}

static bool field(sd_journal *j, const char *name, const char **v, size_t *len)
{
	const void *d;
	size_t l, nl = strlen(name);

	if (sd_journal_get_data(j, name, &d, &l) < 0 || l <= nl + 1)
		return false;
	*v = (const char *)d + nl + 1;
	*len = l - nl - 1;
	return true;
}

static bool relay_one(sd_journal *j)
{
	const char *unit, *msg, *prio;
	size_t ul, ml, pl;
	char name[65];
	int p = LOG_NOTICE;

	if (!field(j, "UNIT", &unit, &ul) || !console_relay_server(unit, ul, name, sizeof(name)) ||
	    !field(j, "MESSAGE", &msg, &ml))
		return false;
	if (field(j, "PRIORITY", &prio, &pl) && pl == 1 && prio[0] >= '0' && prio[0] <= '7')
		p = prio[0] - '0';
	if (ml > 4096)
		ml = 4096;
	return sd_journal_send("MESSAGE=%.*s", (int)ml, msg, "PRIORITY=%d", p, "LEFT4ME_SERVER=%s",
			       name, "LEFT4ME_SOURCE=systemd", NULL) >= 0;
}

int console_relay_pump(struct console_relay *r)
{
	int sent = 0;

	if (sd_journal_process(r->j) < 0)
		return 0;
	while (sent < 1000 && sd_journal_next(r->j) > 0)
		sent += relay_one(r->j);
	return sent;
}

void console_relay_close(struct console_relay *r)
{
	if (!r)
		return;
	sd_journal_close(r->j);
	free(r);
}
