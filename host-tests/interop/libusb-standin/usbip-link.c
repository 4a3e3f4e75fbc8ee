/*
 * The USB/IP client side of the stand-in: one socket to `ccid-reader serve`, one receiver thread
 * that completes URBs, and a list of URBs in flight shared by every libusb caller thread.
 * Wire format: Linux Documentation/usb/usbip_protocol.rst (all fields big-endian).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "standin.h"

enum { CMD_SUBMIT = 1, CMD_UNLINK = 2, RET_SUBMIT = 3, RET_UNLINK = 4, HEADER = 48 };
enum { OP_REQ_IMPORT = 0x8003, USBIP_VERSION = 0x0111, DEVICE_RECORD = 0x138 };
/* How long an unlink may stay unanswered before the link is declared dead. */
enum { UNLINK_GRACE_MS = 5000 };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int fd = -1;
static int gone;
static pthread_t receiver;
static uint32_t next_seqnum = 1;
static uint32_t devid;
static struct urb *in_flight;

static void init_cond(void)
{
	/* Waits use CLOCK_MONOTONIC: wall-clock jumps must not fire or stall timeouts. */
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&changed, &attr);
}

static void put32(unsigned char *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }
static uint32_t get32(const unsigned char *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

static int write_all(const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR) continue;
		if (w <= 0) return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t r = recv(fd, p, n, 0);
		if (r < 0 && errno == EINTR) continue;
		if (r <= 0) return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static void deadline_after(struct timespec *t, unsigned int ms)
{
	clock_gettime(CLOCK_MONOTONIC, t);
	t->tv_sec += ms / 1000;
	t->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t->tv_nsec >= 1000000000L) { t->tv_sec++; t->tv_nsec -= 1000000000L; }
}

static int before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void remove_urb(struct urb *u)
{
	for (struct urb **p = &in_flight; *p; p = &(*p)->next)
		if (*p == u) { *p = u->next; return; }
}

/* Completes every URB still waiting: the server went away (caller holds `lock`). */
static void fail_all(void)
{
	gone = 1;
	for (struct urb *u = in_flight; u; u = u->next)
		if (!u->done) { u->status = -ENODEV; u->actual = 0; u->done = 1; }
	pthread_cond_broadcast(&changed);
}

static int on_ret_submit(const unsigned char *h)
{
	uint32_t seqnum = get32(h + 4);
	int status = (int32_t)get32(h + 20);
	uint32_t actual = get32(h + 24);
	pthread_mutex_lock(&lock);
	struct urb *u = in_flight;
	while (u && (u->seqnum != seqnum || u->done)) u = u->next;
	pthread_mutex_unlock(&lock);
	/* An answer to nothing we sent: the stream can no longer be trusted (we cannot know whether IN
	 * data follows), so the link ends. */
	if (!u || actual > (uint32_t)u->length) return -1;
	/* The URB cannot be freed meanwhile: its owner waits for `done`. */
	if (u->dir_in && actual > 0 && read_all(u->buf, actual) < 0) return -1;
	pthread_mutex_lock(&lock);
	u->status = status;
	u->actual = (int)actual;
	u->done = 1;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
	return 0;
}

static void on_ret_unlink(const unsigned char *h)
{
	uint32_t seqnum = get32(h + 4);
	int status = (int32_t)get32(h + 20);
	pthread_mutex_lock(&lock);
	for (struct urb *u = in_flight; u; u = u->next) {
		/* Status 0: the RET_SUBMIT went first and already completed the URB. */
		if (u->unlinking && u->unlink_seqnum == seqnum && !u->done && status != 0) {
			u->status = status;
			u->actual = 0;
			u->done = 1;
			pthread_cond_broadcast(&changed);
		}
	}
	pthread_mutex_unlock(&lock);
}

static void *receive_loop(void *unused)
{
	(void)unused;
	unsigned char h[HEADER];
	for (;;) {
		if (read_all(h, HEADER) < 0) break;
		uint32_t command = get32(h);
		if (command == RET_SUBMIT) {
			if (on_ret_submit(h) < 0) break;
		} else if (command == RET_UNLINK) {
			on_ret_unlink(h);
		} else {
			break;
		}
	}
	pthread_mutex_lock(&lock);
	fail_all();
	pthread_mutex_unlock(&lock);
	return NULL;
}

static int connect_socket(void)
{
	const char *where = getenv("CCID_READER_USBIP");
	if (!where) return -1;
	if (strncmp(where, "unix:", 5) == 0) where += 5;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(where) >= sizeof addr.sun_path) return -1;
	strcpy(addr.sun_path, where);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0) return -1;
	if (connect(s, (struct sockaddr *)&addr, sizeof addr) < 0) { close(s); return -1; }
	return s;
}

/* OP_REQ_IMPORT for the bus id in CCID_READER_BUSID (default 1-1); fills busnum/devnum. */
static int import_device(struct standin_device *dev)
{
	unsigned char req[40] = { 0 };
	req[0] = USBIP_VERSION >> 8; req[1] = USBIP_VERSION & 0xff;
	req[2] = OP_REQ_IMPORT >> 8; req[3] = OP_REQ_IMPORT & 0xff;
	const char *busid = getenv("CCID_READER_BUSID");
	strncpy((char *)req + 8, busid ? busid : "1-1", 31);
	if (write_all(req, sizeof req) < 0) return -1;
	unsigned char rep[8 + DEVICE_RECORD];
	if (read_all(rep, 8) < 0 || get32(rep + 4) != 0) return -1;
	if (read_all(rep + 8, DEVICE_RECORD) < 0) return -1;
	dev->busnum = get32(rep + 8 + 288);
	dev->devnum = get32(rep + 8 + 292);
	devid = dev->busnum << 16 | dev->devnum;
	return 0;
}

static int control_in(uint8_t request, uint16_t value, uint16_t index, unsigned char *buf, uint16_t len)
{
	struct urb u = { .dir_in = 1, .ep = 0, .buf = buf, .length = len };
	unsigned char s[8] = { 0x80, request, value & 0xff, value >> 8, index & 0xff, index >> 8, len & 0xff, len >> 8 };
	memcpy(u.setup, s, 8);
	return link_sync(&u, 1000);
}

/* What a host controller driver does after attaching: read descriptors, select configuration 1. */
static int enumerate(struct standin_device *dev)
{
	if (control_in(6, 0x0100, 0, dev->device_desc, 18) != 18) return -1;
	unsigned char head[9];
	if (control_in(6, 0x0200, 0, head, 9) != 9) return -1;
	int total = head[2] | head[3] << 8;
	free(dev->config_desc);
	dev->config_desc = malloc((size_t)total);
	if (!dev->config_desc) return -1;
	dev->config_len = control_in(6, 0x0200, 0, dev->config_desc, (uint16_t)total);
	if (dev->config_len < 9) return -1;
	struct urb set = { .dir_in = 0, .ep = 0 };
	unsigned char s[8] = { 0x00, 9, head[5], 0, 0, 0, 0, 0 };
	memcpy(set.setup, s, 8);
	return link_sync(&set, 1000) < 0 ? -1 : 0;
}

int link_open(struct standin_device *dev)
{
	pthread_once(&once, init_cond);
	if (fd >= 0 && !gone) return 0;
	if (fd >= 0) link_close();
	fd = connect_socket();
	if (fd < 0) return -1;
	gone = 0;
	if (import_device(dev) < 0 || pthread_create(&receiver, NULL, receive_loop, NULL) != 0) {
		close(fd);
		fd = -1;
		return -1;
	}
	if (enumerate(dev) < 0) { link_close(); return -1; }
	return 0;
}

void link_close(void)
{
	if (fd < 0) return;
	shutdown(fd, SHUT_RDWR);
	pthread_join(receiver, NULL);
	close(fd);
	fd = -1;
}

static int send_submit(struct urb *u)
{
	unsigned char h[HEADER] = { 0 };
	put32(h, CMD_SUBMIT);
	put32(h + 4, u->seqnum);
	put32(h + 8, devid);
	put32(h + 12, (uint32_t)u->dir_in);
	put32(h + 16, (uint32_t)u->ep);
	put32(h + 24, (uint32_t)u->length);
	put32(h + 32, 0xffffffffu);
	memcpy(h + 40, u->setup, 8);
	pthread_mutex_lock(&write_lock);
	int r = write_all(h, HEADER);
	if (r == 0 && !u->dir_in && u->length > 0) r = write_all(u->buf, (size_t)u->length);
	pthread_mutex_unlock(&write_lock);
	return r;
}

int link_submit(struct urb *u)
{
	pthread_mutex_lock(&lock);
	if (fd < 0 || gone) { pthread_mutex_unlock(&lock); return LIBUSB_ERROR_NO_DEVICE; }
	u->seqnum = next_seqnum++;
	u->done = 0;
	u->unlinking = 0;
	u->next = in_flight;
	in_flight = u;
	pthread_mutex_unlock(&lock);
	/* Queued before sending, so the answer always finds it. */
	if (send_submit(u) < 0) {
		pthread_mutex_lock(&lock);
		fail_all();
		pthread_mutex_unlock(&lock);
	}
	return 0;
}

/* Sends CMD_UNLINK for `u` (caller holds `lock`). */
static void link_unlink(struct urb *u)
{
	u->unlinking = 1;
	u->unlink_seqnum = next_seqnum++;
	unsigned char h[HEADER] = { 0 };
	put32(h, CMD_UNLINK);
	put32(h + 4, u->unlink_seqnum);
	put32(h + 8, devid);
	put32(h + 12, (uint32_t)u->dir_in);
	put32(h + 16, (uint32_t)u->ep);
	put32(h + 20, u->seqnum);
	pthread_mutex_lock(&write_lock);
	int r = write_all(h, HEADER);
	pthread_mutex_unlock(&write_lock);
	if (r < 0) fail_all();
}

/* Waits for `u` until `t`; returns nonzero when it is done (caller holds `lock`). */
static int wait_until(struct urb *u, const struct timespec *t)
{
	while (!u->done)
		if (pthread_cond_timedwait(&changed, &lock, t) == ETIMEDOUT) return u->done;
	return 1;
}

int link_sync(struct urb *u, unsigned int timeout_ms)
{
	int r = link_submit(u);
	if (r < 0) return r;
	pthread_mutex_lock(&lock);
	int timed_out = 0;
	if (timeout_ms == 0) {
		while (!u->done) pthread_cond_wait(&changed, &lock);
	} else {
		struct timespec t;
		deadline_after(&t, timeout_ms);
		if (!wait_until(u, &t)) {
			timed_out = 1;
			link_unlink(u);
			deadline_after(&t, UNLINK_GRACE_MS);
			if (!wait_until(u, &t)) { shutdown(fd, SHUT_RDWR); while (!u->done) pthread_cond_wait(&changed, &lock); }
		}
	}
	remove_urb(u);
	pthread_mutex_unlock(&lock);
	if (u->status == 0) return u->actual;
	if (timed_out && u->status == -ECONNRESET) return LIBUSB_ERROR_TIMEOUT;
	return link_errno_to_libusb(u->status);
}

int link_errno_to_libusb(int status)
{
	switch (-status) {
	case 0: return LIBUSB_SUCCESS;
	case EPIPE: return LIBUSB_ERROR_PIPE;
	case ENODEV: case ESHUTDOWN: return LIBUSB_ERROR_NO_DEVICE;
	case EOVERFLOW: return LIBUSB_ERROR_OVERFLOW;
	case ETIMEDOUT: case ETIME: case ECONNRESET: return LIBUSB_ERROR_TIMEOUT;
	default: return LIBUSB_ERROR_IO;
	}
}

/* Unlinks the async URB of `t` with `reason` (TIMED_OUT or CANCELLED); NOT_FOUND if none. */
int link_find_transfer(struct libusb_transfer *t, int reason)
{
	pthread_mutex_lock(&lock);
	struct urb *u = in_flight;
	while (u && u->transfer != t) u = u->next;
	int r = LIBUSB_ERROR_NOT_FOUND;
	if (u && !u->done && !u->unlinking) {
		u->unlink_reason = reason;
		link_unlink(u);
		r = 0;
	}
	pthread_mutex_unlock(&lock);
	return r;
}

static int transfer_status(const struct urb *u)
{
	switch (-u->status) {
	case 0: return LIBUSB_TRANSFER_COMPLETED;
	case ECONNRESET: return u->unlink_reason;
	case EPIPE: return LIBUSB_TRANSFER_STALL;
	case ENODEV: case ESHUTDOWN: return LIBUSB_TRANSFER_NO_DEVICE;
	case EOVERFLOW: return LIBUSB_TRANSFER_OVERFLOW;
	default: return LIBUSB_TRANSFER_ERROR;
	}
}

/* Runs the callback of a finished async transfer in the caller's thread, as libusb does. */
static void deliver(struct urb *u)
{
	struct libusb_transfer *t = u->transfer;
	t->status = transfer_status(u);
	t->actual_length = u->actual;
	free(u);
	int free_after = t->flags & LIBUSB_TRANSFER_FREE_TRANSFER;
	t->callback(t);
	if (free_after) {
		if (t->flags & LIBUSB_TRANSFER_FREE_BUFFER) free(t->buffer);
		free(t);
	}
}

/* Starts unlinking async transfers past their timeout (caller holds `lock`); returns the earliest
 * deadline still ahead in `next`. */
static void expire(struct timespec *next)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	for (struct urb *u = in_flight; u; u = u->next) {
		if (!u->transfer || u->done || u->unlinking || !u->has_deadline) continue;
		if (!before(&now, &u->deadline)) {
			u->unlink_reason = LIBUSB_TRANSFER_TIMED_OUT;
			link_unlink(u);
		} else if (before(&u->deadline, next)) {
			*next = u->deadline;
		}
	}
}

int link_handle_events(int *completed)
{
	pthread_once(&once, init_cond);
	pthread_mutex_lock(&lock);
	for (int waited = 0;; waited = 1) {
		struct urb *ready = NULL;
		for (struct urb **p = &in_flight; *p;) {
			struct urb *u = *p;
			if (u->transfer && u->done) { *p = u->next; u->next = ready; ready = u; }
			else p = &u->next;
		}
		if (ready) {
			pthread_mutex_unlock(&lock);
			while (ready) { struct urb *n = ready->next; deliver(ready); ready = n; }
			return 0;
		}
		if ((completed && *completed) || waited) break;
		/* One wait of at most a second, as libusb's event loop returns periodically. */
		struct timespec next;
		deadline_after(&next, 1000);
		expire(&next);
		pthread_cond_timedwait(&changed, &lock, &next);
	}
	pthread_mutex_unlock(&lock);
	return 0;
}
