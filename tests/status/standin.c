/* The stand-ins of standin.h. */
#include "standin.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "a2s.h"
#include "timeutil.h"
#include "xalloc.h"

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "stand-in: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

/* ---- the fake systemd ------------------------------------------------------- */

static const char bus_conf[] =
    "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
    " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
    "<busconfig>\n"
    "  <type>custom</type>\n"
    "  <listen>unix:path=%s/bus</listen>\n"
    "  <auth>EXTERNAL</auth>\n"
    "  <policy context=\"default\">\n"
    "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
    "    <allow eavesdrop=\"true\"/>\n"
    "    <allow own=\"*\"/>\n"
    "  </policy>\n"
    "</busconfig>\n";

static struct fake_unit *unit_by_path(struct fakesd *f, const char *path)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->units[i].path, path) == 0)
			return &f->units[i];
	return NULL;
}

static int get_prop(sd_bus *bus, const char *path, const char *iface, const char *prop,
		    sd_bus_message *reply, void *userdata, sd_bus_error *e)
{
	struct fakesd *f = userdata;
	struct fake_unit *u = unit_by_path(f, path);

	(void)bus;
	(void)iface;
	if (!u)
		return sd_bus_error_set(e, SD_BUS_ERROR_UNKNOWN_OBJECT, "no such unit");
#define P(n, t, v)                                                                                 \
	if (strcmp(prop, n) == 0)                                                                  \
		return sd_bus_message_append(reply, t, v);
	P("Id", "s", u->name)
	P("ActiveState", "s", u->active)
	P("SubState", "s", u->sub)
	P("LoadState", "s", "loaded")
	P("Result", "s", u->result)
	P("NRestarts", "u", u->n_restarts)
	P("ExecMainCode", "i", u->code)
	P("ExecMainStatus", "i", u->status)
	P("CPUUsageNSec", "t", u->cpu)
	P("MemoryCurrent", "t", u->mem)
	P("TasksCurrent", "t", u->tasks)
	P("Type", "s", "simple")
#undef P
	return sd_bus_error_set(e, SD_BUS_ERROR_UNKNOWN_PROPERTY, prop);
}

static int unit_find(sd_bus *bus, const char *path, const char *iface, void *userdata, void **found,
		     sd_bus_error *e)
{
	struct fakesd *f = userdata;

	(void)bus;
	(void)iface;
	(void)e;
	if (!unit_by_path(f, path))
		return 0;
	*found = f;
	return 1;
}

#define EC SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE
static const sd_bus_vtable unit_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("Id", "s", get_prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("LoadState", "s", get_prop, 0, EC),
    SD_BUS_PROPERTY("ActiveState", "s", get_prop, 0, EC),
    SD_BUS_PROPERTY("SubState", "s", get_prop, 0, EC),
    SD_BUS_VTABLE_END,
};

static const sd_bus_vtable service_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("Type", "s", get_prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Result", "s", get_prop, 0, EC),
    SD_BUS_PROPERTY("NRestarts", "u", get_prop, 0, EC),
    SD_BUS_PROPERTY("ExecMainCode", "i", get_prop, 0, EC),
    SD_BUS_PROPERTY("ExecMainStatus", "i", get_prop, 0, EC),
    SD_BUS_PROPERTY("CPUUsageNSec", "t", get_prop, 0, 0),
    SD_BUS_PROPERTY("MemoryCurrent", "t", get_prop, 0, 0),
    SD_BUS_PROPERTY("TasksCurrent", "t", get_prop, 0, 0),
    SD_BUS_VTABLE_END,
};

static int subscribe(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	struct fakesd *f = userdata;

	(void)e;
	f->subscribed++;
	return sd_bus_reply_method_return(m, NULL);
}

/* GetAll counts: a filter in front of the object tree. */
static int count_getall(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	struct fakesd *f = userdata;

	const char *iface = NULL;

	(void)e;
	if (!sd_bus_message_is_method_call(m, "org.freedesktop.DBus.Properties", "GetAll"))
		return 0;
	f->getall++;
	if (sd_bus_message_read(m, "s", &iface) >= 0 &&
	    strcmp(iface, "org.freedesktop.systemd1.Unit") == 0)
		f->getall_unit++;
	sd_bus_message_rewind(m, true);
	return 0;
}

static const sd_bus_vtable manager_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("Subscribe", "", "", subscribe, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_VTABLE_END,
};

static void *fakesd_serve(void *arg)
{
	struct fakesd *f = arg;

	while (!f->stop) {
		struct pollfd p[2];
		int ev;

		pthread_mutex_lock(&f->lock);
		while (sd_bus_process(f->bus, NULL) > 0)
			;
		ev = sd_bus_get_events(f->bus);
		p[0] = (struct pollfd){.fd = sd_bus_get_fd(f->bus),
				       .events = (short)(ev > 0 ? ev : 0)};
		pthread_mutex_unlock(&f->lock);
		p[1] = (struct pollfd){.fd = f->wake[0], .events = POLLIN};
		if (poll(p, 2, 1000) > 0 && (p[1].revents & POLLIN)) {
			char b[64];

			if (read(f->wake[0], b, sizeof(b)) < 0)
				continue;
		}
	}
	return NULL;
}

static void start_dbus(struct fakesd *f)
{
	char *conf = xasprintf("%s/bus.conf", f->dir), *text = xasprintf(bus_conf, f->dir);
	char *sock = xasprintf("%s/bus", f->dir), *arg = xasprintf("--config-file=%s", conf);
	FILE *fp = fopen(conf, "w");
	struct stat st;
	int64_t until;

	if (!fp || fputs(text, fp) < 0 || fclose(fp) != 0)
		die("cannot write %s", conf);
	f->dbus_pid = fork();
	if (f->dbus_pid < 0)
		die("fork");
	if (f->dbus_pid == 0) {
		/* its own complaints (the fd limit as non-root) to a file */
		char *log = xasprintf("%s/dbus.log", f->dir);
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		if (fd >= 0)
			dup2(fd, 2);
		execl("/usr/bin/dbus-daemon", "dbus-daemon", arg, "--nofork", "--nopidfile",
		      (char *)NULL);
		_exit(127);
	}
	until = mono_ms() + 10000;
	while (stat(sock, &st) < 0) {
		struct timespec ts = {0, 5000000};

		if (mono_ms() > until || waitpid(f->dbus_pid, NULL, WNOHANG) != 0)
			die("dbus-daemon did not start (is package dbus installed?)");
		nanosleep(&ts, NULL);
	}
	f->address = xasprintf("unix:path=%s", sock);
	free(conf);
	free(text);
	free(sock);
	free(arg);
}

void fakesd_start(struct fakesd *f, const char *dir)
{
	int64_t until;
	int r;

	memset(f, 0, sizeof(*f));
	f->dir = xstrdup(dir);
	pthread_mutex_init(&f->lock, NULL);
	start_dbus(f);
	/* The socket exists a moment before dbus-daemon accepts on it. */
	until = mono_ms() + 10000;
	for (;;) {
		struct timespec ts = {0, 5000000};

		if (sd_bus_new(&f->bus) < 0 || sd_bus_set_address(f->bus, f->address) < 0 ||
		    sd_bus_set_bus_client(f->bus, 1) < 0)
			die("sd_bus_new");
		if ((r = sd_bus_start(f->bus)) >= 0)
			break;
		f->bus = sd_bus_unref(f->bus);
		if (mono_ms() > until)
			die("cannot connect to the private bus: %s", strerror(-r));
		nanosleep(&ts, NULL);
	}
	if ((r = sd_bus_request_name(f->bus, "org.freedesktop.systemd1", 0)) < 0)
		die("cannot own org.freedesktop.systemd1: %s", strerror(-r));
	if (sd_bus_add_object_vtable(f->bus, NULL, "/org/freedesktop/systemd1",
				     "org.freedesktop.systemd1.Manager", manager_vtable, f) < 0 ||
	    sd_bus_add_fallback_vtable(f->bus, NULL, "/org/freedesktop/systemd1/unit",
				       "org.freedesktop.systemd1.Unit", unit_vtable, unit_find,
				       f) < 0 ||
	    sd_bus_add_fallback_vtable(f->bus, NULL, "/org/freedesktop/systemd1/unit",
				       "org.freedesktop.systemd1.Service", service_vtable,
				       unit_find, f) < 0 ||
	    sd_bus_add_filter(f->bus, NULL, count_getall, f) < 0)
		die("cannot export the fake systemd");
	if (pipe2(f->wake, O_CLOEXEC | O_NONBLOCK) < 0 ||
	    pthread_create(&f->thread, NULL, fakesd_serve, f) != 0)
		die("cannot start the fake systemd's thread");
}

static void wake(int fd)
{
	if (write(fd, "x", 1) < 0 && errno != EAGAIN)
		die("wake: %s", strerror(errno));
}

void fakesd_stop(struct fakesd *f)
{
	f->stop = true;
	wake(f->wake[1]);
	pthread_join(f->thread, NULL);
	sd_bus_flush_close_unref(f->bus);
	kill(f->dbus_pid, SIGTERM);
	waitpid(f->dbus_pid, NULL, 0);
	for (size_t i = 0; i < f->n; i++)
		free(f->units[i].path);
	close(f->wake[0]);
	close(f->wake[1]);
	free(f->dir);
	free(f->address);
}

void fakesd_add(struct fakesd *f, const char *name)
{
	struct fake_unit *u;

	pthread_mutex_lock(&f->lock);
	if (f->n == FAKESD_UNITS_MAX)
		die("too many units");
	u = &f->units[f->n];
	memset(u, 0, sizeof(*u));
	snprintf(u->name, sizeof(u->name), "left4me-server@%s.service", name);
	if (sd_bus_path_encode("/org/freedesktop/systemd1/unit", u->name, &u->path) < 0)
		die("path");
	snprintf(u->active, sizeof(u->active), "inactive");
	snprintf(u->sub, sizeof(u->sub), "dead");
	snprintf(u->result, sizeof(u->result), "success");
	u->cpu = u->mem = u->tasks = UINT64_MAX;
	f->n++;
	pthread_mutex_unlock(&f->lock);
}

static struct fake_unit *unit_by_name(struct fakesd *f, const char *name)
{
	char full[80];

	snprintf(full, sizeof(full), "left4me-server@%s.service", name);
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->units[i].name, full) == 0)
			return &f->units[i];
	die("no unit %s", name);
}

void fakesd_set(struct fakesd *f, const char *name, const char *active, const char *sub,
		const char *result, int restarts, int code, int status, bool signal)
{
	struct fake_unit *u;

	pthread_mutex_lock(&f->lock);
	u = unit_by_name(f, name);
	if (active)
		snprintf(u->active, sizeof(u->active), "%s", active);
	if (sub)
		snprintf(u->sub, sizeof(u->sub), "%s", sub);
	if (result)
		snprintf(u->result, sizeof(u->result), "%s", result);
	if (restarts >= 0)
		u->n_restarts = (uint32_t)restarts;
	if (code >= 0)
		u->code = code;
	if (status >= 0)
		u->status = status;
	/* systemd sends .Service's changes, then .Unit's */
	if (signal && f->subscribed &&
	    (sd_bus_emit_properties_changed(f->bus, u->path, "org.freedesktop.systemd1.Service",
					    "Result", "NRestarts", "ExecMainCode", "ExecMainStatus",
					    NULL) < 0 ||
	     sd_bus_emit_properties_changed(f->bus, u->path, "org.freedesktop.systemd1.Unit",
					    "ActiveState", "SubState", NULL) < 0))
		die("cannot emit PropertiesChanged");
	pthread_mutex_unlock(&f->lock);
	wake(f->wake[1]);
}

void fakesd_resources(struct fakesd *f, const char *name, uint64_t cpu, uint64_t mem,
		      uint64_t tasks)
{
	struct fake_unit *u;

	pthread_mutex_lock(&f->lock);
	u = unit_by_name(f, name);
	u->cpu = cpu;
	u->mem = mem;
	u->tasks = tasks;
	pthread_mutex_unlock(&f->lock);
}

/* ---- A2S -------------------------------------------------------------------- */

static const uint32_t CHALLENGE = 0x4c344d45;

struct pkt {
	uint8_t b[2048];
	size_t n;
};

static void put(struct pkt *p, const void *d, size_t n)
{
	if (p->n + n > sizeof(p->b))
		die("packet too long");
	memcpy(p->b + p->n, d, n);
	p->n += n;
}

static void put_le(struct pkt *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++) {
		uint8_t b = (uint8_t)(v >> (8 * i));

		put(p, &b, 1);
	}
}

static void put_str(struct pkt *p, const char *s)
{
	put(p, s, strlen(s) + 1);
}

static void info_reply(struct pkt *p, const struct a2s_responder *r)
{
	put_le(p, 0xFFFFFFFF, 4);
	put_le(p, 'I', 1);
	put_le(p, 17, 1);
	put_str(p, "left4me stand-in");
	put_str(p, r->map);
	put_str(p, "left4dead2");
	put_str(p, "Left 4 Dead 2");
	put_le(p, 550, 2);
	put_le(p, r->players, 1);
	put_le(p, r->max_players, 1);
	put_le(p, r->bots, 1);
	put_le(p, 'd', 1);
	put_le(p, 'l', 1);
	put_le(p, 0, 1);
	put_le(p, 1, 1);
	put_str(p, "2.2.4");
}

static void player_reply(struct pkt *p, const struct a2s_responder *r)
{
	put_le(p, 0xFFFFFFFF, 4);
	put_le(p, 'D', 1);
	put_le(p, r->players, 1);
	for (int i = 0; i < r->players; i++) {
		char name[32];
		float d = 30.0f * (float)(i + 1);
		uint32_t bits;

		memcpy(&bits, &d, 4);
		snprintf(name, sizeof(name), "player%d", i);
		put_le(p, (uint64_t)i, 1);
		put_str(p, name);
		put_le(p, (uint32_t)(i * 3), 4);
		put_le(p, bits, 4);
	}
}

static void answer(struct a2s_standin *s, struct a2s_responder *r, const uint8_t *req, size_t n,
		   const struct sockaddr_in *from)
{
	bool info = n >= 25 && memcmp(req, "\xff\xff\xff\xffTSource Engine Query", 25) == 0;
	bool player = n == 9 && memcmp(req, "\xff\xff\xff\xffU", 5) == 0;
	uint32_t c = 0;
	struct pkt p = {.n = 0};

	if (r->mode == A2S_SILENT || (!info && !player))
		return;
	if (info && n == 29)
		memcpy(&c, req + 25, 4);
	if (player)
		memcpy(&c, req + 5, 4);
	if (c != CHALLENGE) {
		r->challenged++;
		put_le(&p, 0xFFFFFFFF, 4);
		put_le(&p, 'A', 1);
		put_le(&p, CHALLENGE, 4);
	} else {
		pthread_mutex_lock(&s->lock);
		if (info)
			info_reply(&p, r);
		else
			player_reply(&p, r);
		pthread_mutex_unlock(&s->lock);
	}
	if (sendto(r->fd, p.b, p.n, 0, (const struct sockaddr *)from, sizeof(*from)) < 0)
		return; /* the client went away */
}

static void *a2s_serve(void *arg)
{
	struct a2s_standin *s = arg;
	struct pollfd *p = xcalloc(s->n + 1, sizeof(*p));

	for (size_t i = 0; i < s->n; i++)
		p[i] = (struct pollfd){.fd = s->r[i].fd, .events = POLLIN};
	p[s->n] = (struct pollfd){.fd = s->wake[0], .events = POLLIN};
	for (;;) {
		if (poll(p, s->n + 1, -1) < 0 && errno != EINTR)
			break;
		if (p[s->n].revents)
			break;
		for (size_t i = 0; i < s->n; i++) {
			uint8_t req[2048];
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t n;

			if (!(p[i].revents & POLLIN))
				continue;
			n = recvfrom(s->r[i].fd, req, sizeof(req), MSG_DONTWAIT,
				     (struct sockaddr *)&from, &fl);
			if (n < 0)
				continue;
			s->r[i].requests++;
			answer(s, &s->r[i], req, (size_t)n, &from);
		}
	}
	free(p);
	return NULL;
}

void a2s_standin_start(struct a2s_standin *s, size_t n)
{
	memset(s, 0, sizeof(*s));
	s->r = xcalloc(n, sizeof(*s->r));
	s->n = n;
	pthread_mutex_init(&s->lock, NULL);
	for (size_t i = 0; i < n; i++) {
		struct a2s_responder *r = &s->r[i];
		socklen_t l = sizeof(r->addr);

		r->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		r->addr.sin_family = AF_INET;
		r->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (r->fd < 0 || bind(r->fd, (struct sockaddr *)&r->addr, sizeof(r->addr)) < 0 ||
		    getsockname(r->fd, (struct sockaddr *)&r->addr, &l) < 0)
			die("cannot bind a UDP socket on 127.0.0.1: %s", strerror(errno));
		snprintf(r->map, sizeof(r->map), "c1m1_hotel");
		r->max_players = 8;
	}
	if (pipe2(s->wake, O_CLOEXEC) < 0 || pthread_create(&s->thread, NULL, a2s_serve, s) != 0)
		die("cannot start the A2S thread");
}

void a2s_standin_stop(struct a2s_standin *s)
{
	wake(s->wake[1]);
	pthread_join(s->thread, NULL);
	for (size_t i = 0; i < s->n; i++)
		close(s->r[i].fd);
	close(s->wake[0]);
	close(s->wake[1]);
	free(s->r);
}

void a2s_standin_set(struct a2s_standin *s, size_t i, const char *map, int players, int bots)
{
	pthread_mutex_lock(&s->lock);
	snprintf(s->r[i].map, sizeof(s->r[i].map), "%s", map);
	s->r[i].players = (uint8_t)players;
	s->r[i].bots = (uint8_t)bots;
	pthread_mutex_unlock(&s->lock);
}
