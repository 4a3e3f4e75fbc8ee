/*
 * The libusb-1.0 entry points libccid imports (`nm -D --undefined-only libccid.so`), over one
 * simulated device reached through USB/IP (usbip-link.c). Semantics follow libusb where libccid
 * depends on them: sync transfers unlink and return LIBUSB_ERROR_TIMEOUT on timeout; async
 * transfers complete or are cancelled only through libusb_handle_events*, in the caller's thread;
 * a STALL is LIBUSB_ERROR_PIPE / LIBUSB_TRANSFER_STALL; a vanished server is NO_DEVICE.
 *
 * Environment: CCID_READER_USBIP = unix:PATH of `ccid-reader serve --usbip unix:PATH` (without it,
 * or when nothing answers there, the device list is empty); CCID_READER_BUSID = the bus id to
 * import (default 1-1).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "standin.h"

struct libusb_context { int unused; };
struct libusb_device { int unused; };
struct libusb_device_handle { int unused; };

static pthread_mutex_t api_lock = PTHREAD_MUTEX_INITIALIZER;
static struct libusb_context the_context;
static struct libusb_device the_device;
static struct libusb_device_handle the_handle;
static struct standin_device dev;
static int users;

API int libusb_init(libusb_context **ctx)
{
	pthread_mutex_lock(&api_lock);
	users++;
	pthread_mutex_unlock(&api_lock);
	if (ctx) *ctx = &the_context;
	return 0;
}

API void libusb_exit(libusb_context *ctx)
{
	(void)ctx;
	pthread_mutex_lock(&api_lock);
	if (users > 0 && --users == 0) link_close();
	pthread_mutex_unlock(&api_lock);
}

/* The one device, when the server answers the import; otherwise an empty list (no reader). */
API ssize_t libusb_get_device_list(libusb_context *ctx, libusb_device ***list)
{
	(void)ctx;
	libusb_device **l = calloc(2, sizeof *l);
	if (!l) return LIBUSB_ERROR_NO_MEM;
	pthread_mutex_lock(&api_lock);
	int ok = link_open(&dev) == 0;
	pthread_mutex_unlock(&api_lock);
	if (ok) l[0] = &the_device;
	*list = l;
	return ok ? 1 : 0;
}

API void libusb_free_device_list(libusb_device **list, int unref)
{
	(void)unref;
	free(list);
}

API uint8_t libusb_get_bus_number(libusb_device *d) { (void)d; return (uint8_t)dev.busnum; }
API uint8_t libusb_get_device_address(libusb_device *d) { (void)d; return (uint8_t)dev.devnum; }

API int libusb_get_device_descriptor(libusb_device *d, struct libusb_device_descriptor *out)
{
	(void)d;
	const unsigned char *p = dev.device_desc;
	out->bLength = p[0];
	out->bDescriptorType = p[1];
	out->bcdUSB = (uint16_t)(p[2] | p[3] << 8);
	out->bDeviceClass = p[4];
	out->bDeviceSubClass = p[5];
	out->bDeviceProtocol = p[6];
	out->bMaxPacketSize0 = p[7];
	out->idVendor = (uint16_t)(p[8] | p[9] << 8);
	out->idProduct = (uint16_t)(p[10] | p[11] << 8);
	out->bcdDevice = (uint16_t)(p[12] | p[13] << 8);
	out->iManufacturer = p[14];
	out->iProduct = p[15];
	out->iSerialNumber = p[16];
	out->bNumConfigurations = p[17];
	return 0;
}

API int libusb_open(libusb_device *d, libusb_device_handle **handle)
{
	(void)d;
	*handle = &the_handle;
	return 0;
}

API void libusb_close(libusb_device_handle *h) { (void)h; }

/* The server's device has one configuration already selected; claiming is bookkeeping only. */
API int libusb_claim_interface(libusb_device_handle *h, int n) { (void)h; (void)n; return 0; }
API int libusb_release_interface(libusb_device_handle *h, int n) { (void)h; (void)n; return 0; }

API int libusb_control_transfer(libusb_device_handle *h, uint8_t request_type, uint8_t request,
	uint16_t value, uint16_t index, unsigned char *data, uint16_t length, unsigned int timeout)
{
	(void)h;
	struct urb u = { .dir_in = request_type >> 7, .ep = 0, .buf = data, .length = length };
	unsigned char s[8] = { request_type, request, value & 0xff, value >> 8, index & 0xff, index >> 8,
		length & 0xff, length >> 8 };
	memcpy(u.setup, s, 8);
	return link_sync(&u, timeout);
}

API int libusb_bulk_transfer(libusb_device_handle *h, unsigned char endpoint, unsigned char *data,
	int length, int *transferred, unsigned int timeout)
{
	(void)h;
	struct urb u = { .dir_in = endpoint >> 7, .ep = endpoint & 0x0f, .buf = data, .length = length };
	int r = link_bulk(&u, timeout);
	if (transferred) *transferred = u.actual;
	return r < 0 ? r : 0;
}

API int libusb_get_string_descriptor_ascii(libusb_device_handle *h, uint8_t index, unsigned char *data, int length)
{
	if (index == 0) return LIBUSB_ERROR_INVALID_PARAM;
	unsigned char buf[255];
	int r = libusb_control_transfer(h, 0x80, 6, 0x0300, 0, buf, sizeof buf, 1000);
	if (r < 0) return r;
	if (r < 4) return LIBUSB_ERROR_IO;
	uint16_t langid = (uint16_t)(buf[2] | buf[3] << 8);
	r = libusb_control_transfer(h, 0x80, 6, (uint16_t)(0x0300 | index), langid, buf, sizeof buf, 1000);
	if (r < 0) return r;
	if (r < 2 || buf[1] != 3 || buf[0] > r) return LIBUSB_ERROR_IO;
	int n = 0;
	for (int i = 2; i + 1 < buf[0] && n < length - 1; i += 2)
		data[n++] = (buf[i + 1] || buf[i] & 0x80) ? '?' : buf[i];
	data[n] = 0;
	return n;
}

API struct libusb_transfer *libusb_alloc_transfer(int iso_packets)
{
	/* Room for the iso descriptors libusb would append (12 bytes each), though we never use them. */
	return calloc(1, sizeof(struct libusb_transfer) + (size_t)(iso_packets > 0 ? iso_packets : 0) * 12);
}

API void libusb_free_transfer(struct libusb_transfer *t)
{
	if (!t) return;
	if (t->flags & LIBUSB_TRANSFER_FREE_BUFFER) free(t->buffer);
	free(t);
}

API int libusb_submit_transfer(struct libusb_transfer *t)
{
	if (t->type != LIBUSB_TRANSFER_TYPE_BULK && t->type != LIBUSB_TRANSFER_TYPE_INTERRUPT)
		return LIBUSB_ERROR_NOT_SUPPORTED;
	struct urb *u = calloc(1, sizeof *u);
	if (!u) return LIBUSB_ERROR_NO_MEM;
	u->dir_in = t->endpoint >> 7;
	u->ep = t->endpoint & 0x0f;
	u->buf = t->buffer;
	u->length = t->length;
	u->transfer = t;
	if (t->timeout > 0) {
		u->has_deadline = 1;
		clock_gettime(CLOCK_MONOTONIC, &u->deadline);
		u->deadline.tv_sec += t->timeout / 1000;
		u->deadline.tv_nsec += (long)(t->timeout % 1000) * 1000000L;
		if (u->deadline.tv_nsec >= 1000000000L) { u->deadline.tv_sec++; u->deadline.tv_nsec -= 1000000000L; }
	}
	int r = link_submit(u);
	if (r < 0) free(u);
	return r;
}

API int libusb_cancel_transfer(struct libusb_transfer *t)
{
	return link_find_transfer(t, LIBUSB_TRANSFER_CANCELLED);
}

API int libusb_handle_events_completed(libusb_context *ctx, int *completed)
{
	(void)ctx;
	return link_handle_events(completed);
}

/*
 * The active configuration, parsed as libusb does: descriptors between an interface descriptor and
 * its first endpoint are that interface's `extra` (libccid reads the 54-byte CCID class descriptor
 * there). One allocation holds everything, so libusb_free_config_descriptor is one free().
 */
API int libusb_get_active_config_descriptor(libusb_device *d, struct libusb_config_descriptor **out)
{
	(void)d;
	const unsigned char *raw = dev.config_desc;
	int len = dev.config_len;
	if (!raw || len < 9) return LIBUSB_ERROR_NOT_FOUND;
	int n_if = 0, n_alt = 0, n_ep = 0;
	for (int i = 0; i + 1 < len && raw[i] >= 2; i += raw[i]) {
		if (raw[i + 1] == 4) { n_alt++; if (raw[i + 3] == 0) n_if++; }
		if (raw[i + 1] == 5) n_ep++;
	}
	size_t size = sizeof(struct libusb_config_descriptor) + n_if * sizeof(struct libusb_interface)
		+ n_alt * sizeof(struct libusb_interface_descriptor) + n_ep * sizeof(struct libusb_endpoint_descriptor) + (size_t)len;
	unsigned char *block = calloc(1, size);
	if (!block) return LIBUSB_ERROR_NO_MEM;
	struct libusb_config_descriptor *c = (void *)block;
	struct libusb_interface *ifs = (void *)(c + 1);
	struct libusb_interface_descriptor *alts = (void *)(ifs + n_if);
	struct libusb_endpoint_descriptor *eps = (void *)(alts + n_alt);
	unsigned char *copy = (void *)(eps + n_ep);
	memcpy(copy, raw, (size_t)len);
	c->bLength = copy[0];
	c->bDescriptorType = copy[1];
	c->wTotalLength = (uint16_t)(copy[2] | copy[3] << 8);
	c->bNumInterfaces = copy[4];
	c->bConfigurationValue = copy[5];
	c->iConfiguration = copy[6];
	c->bmAttributes = copy[7];
	c->MaxPower = copy[8];
	c->interface = ifs;
	int fi = -1, fa = -1, fe = -1;
	int extra_for = 0; /* 0 configuration, 1 interface, 2 endpoint */
	for (int i = copy[0]; i + 1 < len && copy[i] >= 2 && i + copy[i] <= len; i += copy[i]) {
		const unsigned char *p = copy + i;
		if (p[1] == 4 && p[0] >= 9) {
			if (p[3] == 0) { fi++; ifs[fi].altsetting = &alts[fa + 1]; }
			if (fi < 0) continue;
			struct libusb_interface_descriptor *a = &alts[++fa];
			ifs[fi].num_altsetting++;
			a->bLength = p[0]; a->bDescriptorType = p[1]; a->bInterfaceNumber = p[2];
			a->bAlternateSetting = p[3]; a->bNumEndpoints = p[4]; a->bInterfaceClass = p[5];
			a->bInterfaceSubClass = p[6]; a->bInterfaceProtocol = p[7]; a->iInterface = p[8];
			a->endpoint = &eps[fe + 1];
			extra_for = 1;
		} else if (p[1] == 5 && p[0] >= 7 && fa >= 0) {
			struct libusb_endpoint_descriptor *e = &eps[++fe];
			e->bLength = p[0]; e->bDescriptorType = p[1]; e->bEndpointAddress = p[2];
			e->bmAttributes = p[3]; e->wMaxPacketSize = (uint16_t)(p[4] | p[5] << 8); e->bInterval = p[6];
			extra_for = 2;
		} else {
			const unsigned char **extra = extra_for == 0 ? &c->extra : extra_for == 1 ? &alts[fa].extra : &eps[fe].extra;
			int *extra_length = extra_for == 0 ? &c->extra_length : extra_for == 1 ? &alts[fa].extra_length : &eps[fe].extra_length;
			if (!*extra) *extra = p;
			*extra_length += p[0];
		}
	}
	*out = c;
	return 0;
}

API void libusb_free_config_descriptor(struct libusb_config_descriptor *c) { free(c); }

API const char *libusb_error_name(int code)
{
	switch (code) {
	case LIBUSB_SUCCESS: return "LIBUSB_SUCCESS";
	case LIBUSB_ERROR_IO: return "LIBUSB_ERROR_IO";
	case LIBUSB_ERROR_INVALID_PARAM: return "LIBUSB_ERROR_INVALID_PARAM";
	case LIBUSB_ERROR_ACCESS: return "LIBUSB_ERROR_ACCESS";
	case LIBUSB_ERROR_NO_DEVICE: return "LIBUSB_ERROR_NO_DEVICE";
	case LIBUSB_ERROR_NOT_FOUND: return "LIBUSB_ERROR_NOT_FOUND";
	case LIBUSB_ERROR_BUSY: return "LIBUSB_ERROR_BUSY";
	case LIBUSB_ERROR_TIMEOUT: return "LIBUSB_ERROR_TIMEOUT";
	case LIBUSB_ERROR_OVERFLOW: return "LIBUSB_ERROR_OVERFLOW";
	case LIBUSB_ERROR_PIPE: return "LIBUSB_ERROR_PIPE";
	case LIBUSB_ERROR_INTERRUPTED: return "LIBUSB_ERROR_INTERRUPTED";
	case LIBUSB_ERROR_NO_MEM: return "LIBUSB_ERROR_NO_MEM";
	case LIBUSB_ERROR_NOT_SUPPORTED: return "LIBUSB_ERROR_NOT_SUPPORTED";
	default: return "LIBUSB_ERROR_OTHER";
	}
}
