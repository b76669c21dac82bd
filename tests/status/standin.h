/* Stand-ins for left4me-status's tests and bench: systemd's
 * org.freedesktop.systemd1 on a private dbus-daemon, and srcds's A2S on
 * 127.0.0.1.  Both as strict as the real ones: the fake systemd sends
 * PropertiesChanged only after Manager.Subscribe (as systemd does on the
 * API bus) and knows only the units it was given; an A2S responder
 * answers A2S_INFO and A2S_PLAYER only when the request carries its
 * challenge. */
#ifndef LEFT4ME_TEST_STATUS_STANDIN_H
#define LEFT4ME_TEST_STATUS_STANDIN_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#define FAKESD_UNITS_MAX 256

struct fake_unit {
	char name[80]; /* left4me-server@NAME.service */
	char *path;
	char active[33], sub[33], result[33];
	uint32_t n_restarts;
	int32_t code, status;
	uint64_t cpu, mem, tasks;
};

struct fakesd {
	char *dir, *address; /* address: for DBUS_SYSTEM_BUS_ADDRESS */
	pid_t dbus_pid;
	sd_bus *bus;
	pthread_t thread;
	pthread_mutex_t lock;
	int wake[2];
	_Atomic bool stop;
	_Atomic int subscribed;	 /* Subscribe calls */
	_Atomic int getall;	 /* GetAll calls answered */
	_Atomic int getall_unit; /* of them, for the .Unit interface */
	struct fake_unit units[FAKESD_UNITS_MAX];
	size_t n;
};

/* Start dbus-daemon in dir and own org.freedesktop.systemd1 on it. */
void fakesd_start(struct fakesd *f, const char *dir);
void fakesd_stop(struct fakesd *f);
/* Add left4me-server@NAME.service, inactive/dead. */
void fakesd_add(struct fakesd *f, const char *name);
/* Change its state (NULL keeps a string; restarts/code/status < 0 keep
 * theirs) and, when signal and someone subscribed, emit PropertiesChanged
 * on .Unit and .Service as systemd does. */
void fakesd_set(struct fakesd *f, const char *name, const char *active, const char *sub,
		const char *result, int restarts, int code, int status, bool signal);
void fakesd_resources(struct fakesd *f, const char *name, uint64_t cpu, uint64_t mem,
		      uint64_t tasks);

/* A2S responders, all served by one thread. */
enum a2s_mode {
	A2S_STRICT, /* challenge first, then the reply */
	A2S_SILENT, /* never answers */
};

struct a2s_responder {
	int fd;
	struct sockaddr_in addr;
	_Atomic int mode;
	char map[64];
	uint8_t players, bots, max_players;
	_Atomic int requests;	/* datagrams received */
	_Atomic int challenged; /* of them, answered with a challenge */
};

struct a2s_standin {
	struct a2s_responder *r;
	size_t n;
	pthread_t thread;
	pthread_mutex_t lock; /* map/players */
	int wake[2];
};

/* n responders on 127.0.0.1, each on a port of its own. */
void a2s_standin_start(struct a2s_standin *s, size_t n);
void a2s_standin_stop(struct a2s_standin *s);
void a2s_standin_set(struct a2s_standin *s, size_t i, const char *map, int players, int bots);

#endif
