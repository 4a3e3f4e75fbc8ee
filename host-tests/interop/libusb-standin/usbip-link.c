/*
 * The USB/IP client side of the stand-in: one socket to `ccid-reader serve` and a list of URBs in
 * flight shared by every libusb caller thread. A thread waiting for a synchronous transfer reads the
 * socket itself (one wake-up per answer, as a blocking read on a real device file): whoever holds
 * the reader role completes every URB the bytes answer. A receiver thread holds the role while no
 * synchronous transfer has wanted it for a while, so async transfers (the interrupt endpoint)
 * complete when nobody else reads; a synchronous waiter takes the role back from it with a kick.
 * Wire format: Linux Documentation/usb/usbip_protocol.rst (all fields big-endian).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "standin.h"

enum { CMD_SUBMIT = 1, CMD_UNLINK = 2, RET_SUBMIT = 3, RET_UNLINK = 4, HEADER = 48 };
enum { OP_REQ_IMPORT = 0x8003, USBIP_VERSION = 0x0111, DEVICE_RECORD = 0x138 };
/* How long an unlink may stay unanswered before the link is declared dead. */
enum { UNLINK_GRACE_MS = 5000 };
/* How long the receiver thread leaves the socket to synchronous readers after one last read it. */
enum { RECLAIM_MS = 10 };

/* What one recv() may bring at once: a RET_SUBMIT header and its data usually arrive together. */
enum { RECEIVE_BUFFER = 64 * 1024 };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;
/* Async transfers' completions (libusb_handle_events*). A sync transfer has a condition of its own,
 * so a completion wakes only the thread that waits for it. */
static pthread_cond_t events;
static pthread_condattr_t monotonic;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int fd = -1;
static int gone;
static pthread_t receiver;
static uint32_t next_seqnum = 1;
static uint32_t devid;
static struct urb *in_flight;
/* The reader role's buffer: bytes [received_at, received_end) are read but not yet parsed. */
static unsigned char received[RECEIVE_BUFFER];
static size_t received_at, received_end;
/* The reader role (under `lock`): held by someone; by the receiver thread; the receiver was asked to
 * give it up (through `kick_fd`); how many times a synchronous waiter took it. */
static int reading, receiver_reading, kicked;
static unsigned sync_reads;
static int kick_fd = -1;
/* The receiver thread waits on it while synchronous waiters read. */
static pthread_cond_t receiver_idle;

/*
 * The bulk IN URB submitted right behind a bulk OUT one (bulk_out), as a host controller keeps an IN
 * URB queued: one per IN endpoint at most, for the next synchronous read of that endpoint. `queued`
 * while it is in flight or holds data nobody has read yet; `claimed` once a read has taken it.
 */
struct read_ahead {
	struct urb urb;
	pthread_cond_t wake;
	unsigned char *buffer;
	int capacity;
	int queued, claimed;
};
static struct read_ahead ahead[16];
/* The IN endpoint (1-15, 0 = none yet) of the last synchronous bulk read, the length of the last
 * read of it that could hold any message (0 = none yet), its wMaxPacketSize, and the device's
 * dwMaxCCIDMessageLength. */
static int read_endpoint, read_length, read_packet;
static uint32_t max_message;
/* The device has more than one slot (bMaxSlotIndex > 0): no read-ahead (bulk_out). */
static int several_slots;
/* The imported device (its configuration descriptor gives the endpoints' packet sizes). */
static const struct standin_device *device;

static void init_cond(void)
{
	/* Waits use CLOCK_MONOTONIC: wall-clock jumps must not fire or stall timeouts. */
	pthread_condattr_init(&monotonic);
	pthread_condattr_setclock(&monotonic, CLOCK_MONOTONIC);
	pthread_cond_init(&events, &monotonic);
	pthread_cond_init(&receiver_idle, &monotonic);
	for (int i = 0; i < 16; i++) {
		pthread_cond_init(&ahead[i].wake, &monotonic);
		ahead[i].urb.wake = &ahead[i].wake;
	}
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

/* One sendmsg() for several pieces (headers and OUT data), so the server gets them in one read. */
static int write_pieces(struct iovec *piece, int n)
{
	while (n > 0) {
		struct msghdr m = { .msg_iov = piece, .msg_iovlen = (size_t)n };
		ssize_t w = sendmsg(fd, &m, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR) continue;
		if (w <= 0) return -1;
		for (; n > 0 && (size_t)w >= piece->iov_len; piece++, n--) w -= (ssize_t)piece->iov_len;
		if (n > 0) { piece->iov_base = (char *)piece->iov_base + w; piece->iov_len -= (size_t)w; }
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

/* Marks `u` done and wakes whoever waits for it: its own thread, or the event handlers for an async
 * transfer (caller holds `lock`). */
static void complete(struct urb *u, int status, int actual)
{
	u->status = status;
	u->actual = actual;
	u->done = 1;
	if (u->wake) pthread_cond_signal(u->wake);
	else pthread_cond_broadcast(&events);
}

/* Completes every URB still waiting: the server went away (caller holds `lock`). */
static void fail_all(void)
{
	gone = 1;
	for (struct urb *u = in_flight; u; u = u->next)
		if (!u->done) complete(u, -ENODEV, 0);
	pthread_cond_broadcast(&events);
	pthread_cond_broadcast(&receiver_idle);
}

static void on_ret_unlink(const unsigned char *h)
{
	uint32_t seqnum = get32(h + 4);
	int status = (int32_t)get32(h + 20);
	pthread_mutex_lock(&lock);
	for (struct urb *u = in_flight; u; u = u->next) {
		/* Status 0: the RET_SUBMIT went first and already completed the URB. */
		if (u->unlinking && u->unlink_seqnum == seqnum && !u->done && status != 0) complete(u, status, 0);
	}
	pthread_mutex_unlock(&lock);
}

/*
 * Completes the URBs that the bytes in `received` answer. A message not all there yet stays for the
 * next read, except the IN data of one larger than the buffer, read to its end straight into its
 * URB. Returns -1 when the stream can no longer be trusted (an answer to nothing we sent: we cannot
 * know whether IN data follows). Reader role only.
 */
static int parse(void)
{
	for (;;) {
		size_t have = received_end - received_at;
		const unsigned char *h = received + received_at;
		if (have < HEADER) break;
		uint32_t command = get32(h);
		if (command == RET_UNLINK) {
			on_ret_unlink(h);
			received_at += HEADER;
			continue;
		}
		if (command != RET_SUBMIT) return -1;
		uint32_t seqnum = get32(h + 4);
		int status = (int32_t)get32(h + 20);
		uint32_t actual = get32(h + 24);
		pthread_mutex_lock(&lock);
		struct urb *u = in_flight;
		while (u && (u->seqnum != seqnum || u->done)) u = u->next;
		pthread_mutex_unlock(&lock);
		if (!u || actual > (uint32_t)u->length) return -1;
		/* The URB cannot go away meanwhile: its owner waits for `done`. */
		size_t data = u->dir_in ? actual : 0;
		if (have < HEADER + data) {
			if (HEADER + data <= RECEIVE_BUFFER) break;
			size_t part = have - HEADER;
			memcpy(u->buf, h + HEADER, part);
			if (read_all(u->buf + part, data - part) < 0) return -1;
			received_at = received_end;
		} else {
			memcpy(u->buf, h + HEADER, data);
			received_at += HEADER + data;
		}
		pthread_mutex_lock(&lock);
		complete(u, status, (int)actual);
		pthread_mutex_unlock(&lock);
	}
	/* What is left is the start of a message: to the front, so the rest fits behind it. */
	size_t left = received_end - received_at;
	if (left > 0 && received_at > 0) memmove(received, received + received_at, left);
	received_at = 0;
	received_end = left;
	return 0;
}

/* Waits once for the server's bytes, until `deadline` (NULL: none) or, with `kickable`, a kick; then
 * reads what came and completes what it answers. Returns -1 when the link is gone. Reader role only,
 * without `lock`. */
static int read_once(const struct timespec *deadline, int kickable)
{
	struct timespec left, *timeout = NULL;
	if (deadline) {
		clock_gettime(CLOCK_MONOTONIC, &left);
		left.tv_sec = deadline->tv_sec - left.tv_sec;
		left.tv_nsec = deadline->tv_nsec - left.tv_nsec;
		if (left.tv_nsec < 0) { left.tv_sec--; left.tv_nsec += 1000000000L; }
		if (left.tv_sec < 0) return 0;
		timeout = &left;
	}
	struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = kick_fd, .events = POLLIN } };
	int n = ppoll(p, kickable ? 2 : 1, timeout, NULL);
	if (n < 0) return errno == EINTR ? 0 : -1;
	if (kickable && (p[1].revents & POLLIN)) {
		uint64_t count;
		if (read(kick_fd, &count, sizeof count) < 0) { /* nothing to drain */ }
	}
	if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR))) return 0;
	ssize_t r = recv(fd, received + received_end, RECEIVE_BUFFER - received_end, MSG_DONTWAIT);
	if (r < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
	if (r <= 0) return -1;
	received_end += (size_t)r;
	return parse();
}

/* A synchronous waiter stops reading: another one still waiting takes over (caller holds `lock`). */
static void hand_off(const struct urb *leaving)
{
	for (struct urb *u = in_flight; u; u = u->next)
		if (u != leaving && u->waiting && !u->done) { pthread_cond_signal(u->wake); return; }
}

/*
 * Waits for the synchronous URB `u` until `deadline` (NULL: none), reading the socket whenever nobody
 * else does; returns nonzero when it is done (caller holds `lock`).
 */
static int wait_reading(struct urb *u, const struct timespec *deadline)
{
	int read_some = 0;
	u->waiting = 1;
	while (!u->done) {
		if (!reading) {
			read_some = 1;
			reading = 1;
			sync_reads++;
			pthread_mutex_unlock(&lock);
			int r = read_once(deadline, 0);
			pthread_mutex_lock(&lock);
			reading = 0;
			if (r < 0) fail_all();
			if (!u->done && deadline) {
				struct timespec now;
				clock_gettime(CLOCK_MONOTONIC, &now);
				if (!before(&now, deadline)) break;
			}
			continue;
		}
		if (receiver_reading && !kicked) {
			kicked = 1;
			uint64_t one = 1;
			if (write(kick_fd, &one, sizeof one) < 0) { /* the counter is already set */ }
		}
		int w = deadline ? pthread_cond_timedwait(u->wake, &lock, deadline) : pthread_cond_wait(u->wake, &lock);
		if (w == ETIMEDOUT) break;
	}
	u->waiting = 0;
	if (read_some) hand_off(u);
	return u->done;
}

/*
 * The receiver thread: reads while no synchronous waiter has wanted to for RECLAIM_MS, so async
 * transfers complete with nobody else reading; ends when the link does.
 */
static void *receive_loop(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&lock);
	unsigned seen = sync_reads - 1;
	while (!gone) {
		if (reading || sync_reads != seen) {
			seen = sync_reads;
			struct timespec t;
			deadline_after(&t, RECLAIM_MS);
			pthread_cond_timedwait(&receiver_idle, &lock, &t);
			continue;
		}
		reading = receiver_reading = 1;
		pthread_mutex_unlock(&lock);
		int r = read_once(NULL, 1);
		pthread_mutex_lock(&lock);
		reading = receiver_reading = 0;
		if (r < 0) fail_all();
		if (kicked) {
			/* A synchronous waiter wants the role: hand it over and leave it alone for a while. */
			kicked = 0;
			seen = sync_reads - 1;
			hand_off(NULL);
		}
	}
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
	device = dev;
	pthread_once(&once, init_cond);
	if (fd >= 0 && !gone) return 0;
	if (fd >= 0) link_close();
	fd = connect_socket();
	if (fd < 0) return -1;
	gone = 0;
	received_at = received_end = 0;
	reading = receiver_reading = kicked = 0;
	kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (kick_fd < 0 || import_device(dev) < 0 || pthread_create(&receiver, NULL, receive_loop, NULL) != 0) {
		if (kick_fd >= 0) close(kick_fd);
		kick_fd = -1;
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
	/* Whoever reads now sees the end; if nobody does, the link ends here. */
	pthread_mutex_lock(&lock);
	if (!reading) fail_all();
	pthread_mutex_unlock(&lock);
	pthread_join(receiver, NULL);
	close(fd);
	fd = -1;
	close(kick_fd);
	kick_fd = -1;
	/* Every URB still in flight failed; a read-ahead URB nobody claimed goes with the link. */
	pthread_mutex_lock(&lock);
	for (int i = 0; i < 16; i++)
		if (ahead[i].queued) { remove_urb(&ahead[i].urb); ahead[i].queued = 0; }
	read_endpoint = 0;
	pthread_mutex_unlock(&lock);
}

/* The CMD_SUBMIT header of `u`. */
static void submit_header(unsigned char *h, const struct urb *u)
{
	memset(h, 0, HEADER);
	put32(h, CMD_SUBMIT);
	put32(h + 4, u->seqnum);
	put32(h + 8, devid);
	put32(h + 12, (uint32_t)u->dir_in);
	put32(h + 16, (uint32_t)u->ep);
	put32(h + 24, (uint32_t)u->length);
	put32(h + 32, 0xffffffffu);
	memcpy(h + 40, u->setup, 8);
}

/* Queues `u` in flight with a fresh seqnum (caller holds `lock`), before sending, so the answer
 * always finds it. */
static void enqueue(struct urb *u)
{
	u->seqnum = next_seqnum++;
	u->done = 0;
	u->unlinking = 0;
	u->next = in_flight;
	in_flight = u;
}

/* Sends CMD_SUBMIT for `u` and, when `then` is not NULL, for `then` right behind it, in one write. */
static void send_submits(struct urb *u, struct urb *then)
{
	unsigned char h[HEADER], h2[HEADER];
	struct iovec piece[3];
	int n = 0;
	submit_header(h, u);
	piece[n++] = (struct iovec){ h, HEADER };
	if (!u->dir_in && u->length > 0) piece[n++] = (struct iovec){ u->buf, (size_t)u->length };
	if (then) {
		submit_header(h2, then);
		piece[n++] = (struct iovec){ h2, HEADER };
	}
	pthread_mutex_lock(&write_lock);
	int r = write_pieces(piece, n);
	pthread_mutex_unlock(&write_lock);
	if (r < 0) {
		pthread_mutex_lock(&lock);
		fail_all();
		pthread_mutex_unlock(&lock);
	}
}

int link_submit(struct urb *u)
{
	pthread_mutex_lock(&lock);
	if (fd < 0 || gone) { pthread_mutex_unlock(&lock); return LIBUSB_ERROR_NO_DEVICE; }
	enqueue(u);
	pthread_mutex_unlock(&lock);
	send_submits(u, NULL);
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

/*
 * Waits for the sync URB `u` as libusb's synchronous calls do: on timeout it is unlinked and, once
 * the unlink is answered, the call fails with LIBUSB_ERROR_TIMEOUT (unless the data won the race).
 * Takes it out of flight; returns the byte count or a LIBUSB_ERROR (caller holds `lock`).
 */
static int wait_sync(struct urb *u, unsigned int timeout_ms)
{
	int timed_out = 0;
	if (timeout_ms == 0) {
		wait_reading(u, NULL);
	} else {
		struct timespec t;
		deadline_after(&t, timeout_ms);
		if (!wait_reading(u, &t)) {
			timed_out = 1;
			link_unlink(u);
			deadline_after(&t, UNLINK_GRACE_MS);
			if (!wait_reading(u, &t)) { shutdown(fd, SHUT_RDWR); wait_reading(u, NULL); }
		}
	}
	remove_urb(u);
	if (u->status == 0) return u->actual;
	if (timed_out && u->status == -ECONNRESET) return LIBUSB_ERROR_TIMEOUT;
	return link_errno_to_libusb(u->status);
}

int link_sync(struct urb *u, unsigned int timeout_ms)
{
	pthread_once(&once, init_cond);
	pthread_cond_t wake;
	pthread_cond_init(&wake, &monotonic);
	u->wake = &wake;
	int r = link_submit(u);
	if (r == 0) {
		pthread_mutex_lock(&lock);
		r = wait_sync(u, timeout_ms);
		pthread_mutex_unlock(&lock);
	}
	pthread_cond_destroy(&wake);
	return r;
}

/* wMaxPacketSize of the endpoint with address `address` (USB 2.0 §9.6.6), 0 when there is none. */
static int packet_size(int address)
{
	const unsigned char *c = device ? device->config_desc : NULL;
	int len = device ? device->config_len : 0;
	for (int i = 0; c && i + 5 < len && c[i] >= 2; i += c[i])
		if (c[i + 1] == 5 && c[i] >= 7 && c[i + 2] == address) return c[i + 4] | (c[i + 5] & 0x07) << 8;
	return 0;
}

/* dwMaxCCIDMessageLength of the CCID class descriptor (CCID rev 1.1 §5.1, offset 44), 0 without one. */
/* The CCID class descriptor's bMaxSlotIndex (CCID rev 1.1 §5.1, offset 4); 0 without one. */
static int ccid_max_slot_index(void)
{
	const unsigned char *c = device ? device->config_desc : NULL;
	int len = device ? device->config_len : 0;
	for (int i = 0; c && i + 1 < len && c[i] >= 2; i += c[i])
		if (c[i + 1] == 0x21 && c[i] >= 54 && i + 5 <= len) return c[i + 4];
	return 0;
}

static uint32_t ccid_max_message(void)
{
	const unsigned char *c = device ? device->config_desc : NULL;
	int len = device ? device->config_len : 0;
	for (int i = 0; c && i + 1 < len && c[i] >= 2; i += c[i])
		if (c[i + 1] == 0x21 && c[i] >= 54 && i + 48 <= len) return c[i + 44] | c[i + 45] << 8 | c[i + 46] << 16 | (uint32_t)c[i + 47] << 24;
	return 0;
}

/*
 * A synchronous bulk OUT: its CMD_SUBMIT goes with the CMD_SUBMIT of a bulk IN URB for the endpoint
 * synchronous reads use (every bulk OUT command gets one bulk IN answer, CCID rev 1.1 §5.2), so the
 * server can answer both in one round trip. That IN URB stays in flight for the next read of its
 * endpoint (bulk_in), as a URB a host controller keeps queued would. Its length is that of the last
 * read that could hold any message the device may send (dwMaxCCIDMessageLength), and only a length
 * that is not a multiple of the packet size: then the URB ends exactly where a URB of that length or
 * longer would, at the message's short or zero-length packet (USB 2.0 §5.8.3), never on a full
 * buffer or an overflow. Not for a reader with several slots: its driver may read bulk IN from
 * another thread than the one that wrote (libccid 1.5 reads a multi-slot reader's answers in a
 * thread of its own and hands them to the slots by bSlot, and reads in the writing thread until
 * that thread runs), and a URB queued behind one thread's write would take an answer from under a
 * read already waiting in another, leaving that one to time out.
 */
static int bulk_out(struct urb *u, unsigned int timeout_ms)
{
	pthread_cond_t wake;
	pthread_cond_init(&wake, &monotonic);
	u->wake = &wake;
	pthread_mutex_lock(&lock);
	if (fd < 0 || gone) {
		pthread_mutex_unlock(&lock);
		pthread_cond_destroy(&wake);
		return LIBUSB_ERROR_NO_DEVICE;
	}
	enqueue(u);
	int ahead_fits = !several_slots && read_endpoint && read_length > 0 && read_packet > 0 && read_length % read_packet != 0;
	struct read_ahead *a = ahead_fits ? &ahead[read_endpoint] : NULL;
	if (a && a->queued) a = NULL;
	if (a && a->capacity < read_length) {
		unsigned char *grown = realloc(a->buffer, (size_t)read_length);
		if (grown) { a->buffer = grown; a->capacity = read_length; }
		else a = NULL;
	}
	if (a) {
		struct urb *in = &a->urb;
		*in = (struct urb){ .dir_in = 1, .ep = read_endpoint, .buf = a->buffer, .length = read_length, .wake = &a->wake };
		enqueue(in);
		a->queued = 1;
		a->claimed = 0;
	}
	pthread_mutex_unlock(&lock);
	send_submits(u, a ? &a->urb : NULL);
	pthread_mutex_lock(&lock);
	int r = wait_sync(u, timeout_ms);
	pthread_mutex_unlock(&lock);
	pthread_cond_destroy(&wake);
	return r;
}

/* Unlinks the read-ahead URB `a` and waits for the answer (caller holds `lock`); nonzero when the
 * URB completed before the unlink reached the server, with its data. */
static int withdraw(struct read_ahead *a)
{
	struct urb *u = &a->urb;
	if (!u->done) {
		link_unlink(u);
		struct timespec t;
		deadline_after(&t, UNLINK_GRACE_MS);
		if (!wait_reading(u, &t)) { shutdown(fd, SHUT_RDWR); wait_reading(u, NULL); }
	}
	remove_urb(u);
	return u->status != -ECONNRESET;
}

/*
 * A synchronous bulk IN read. With a read-ahead URB queued on the endpoint (and not taken by another
 * thread's read) and `length` at least its length, that URB is the read's (its timeout counts from
 * this call, as the read's own URB's would). A shorter read withdraws it first: when it had completed
 * already, its outcome is the read's (an answer longer than `length` is an overflow and stays for
 * the next read); otherwise a URB of `length` goes out as usual.
 */
static int bulk_in(struct urb *u, unsigned int timeout_ms)
{
	pthread_mutex_lock(&lock);
	if (read_endpoint != u->ep) {
		read_endpoint = u->ep;
		read_length = 0;
		read_packet = packet_size(0x80 | u->ep);
		max_message = ccid_max_message();
		several_slots = ccid_max_slot_index() > 0;
	}
	if (max_message > 0 && (uint32_t)u->length >= max_message) read_length = u->length;
	struct read_ahead *a = &ahead[u->ep];
	if (!a->queued || a->claimed) {
		pthread_mutex_unlock(&lock);
		return link_sync(u, timeout_ms);
	}
	a->claimed = 1;
	int r;
	if (u->length >= a->urb.length) {
		r = wait_sync(&a->urb, timeout_ms);
	} else if (withdraw(a)) {
		if (a->urb.status == 0 && a->urb.actual > u->length) {
			/* Too long for this read: an overflow, and the answer waits for a longer read, as the
			 * device keeps a packet that did not fit (babble). */
			a->claimed = 0;
			pthread_mutex_unlock(&lock);
			return LIBUSB_ERROR_OVERFLOW;
		}
		r = a->urb.status == 0 ? a->urb.actual : link_errno_to_libusb(a->urb.status);
	} else {
		a->queued = 0;
		pthread_mutex_unlock(&lock);
		return link_sync(u, timeout_ms);
	}
	if (r >= 0) {
		int n = r < u->length ? r : u->length;
		memcpy(u->buf, a->buffer, (size_t)n);
		u->actual = n;
		if (r > u->length) r = LIBUSB_ERROR_OVERFLOW;
	}
	a->queued = 0;
	pthread_mutex_unlock(&lock);
	return r;
}

int link_bulk(struct urb *u, unsigned int timeout_ms)
{
	if (u->ep < 1 || u->ep > 15) return LIBUSB_ERROR_INVALID_PARAM;
	pthread_once(&once, init_cond);
	return u->dir_in ? bulk_in(u, timeout_ms) : bulk_out(u, timeout_ms);
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
		pthread_cond_timedwait(&events, &lock, &next);
	}
	pthread_mutex_unlock(&lock);
	return 0;
}
