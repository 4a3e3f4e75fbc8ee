/*
 * A libusb-1.0 stand-in for running libccid against the simulated reader on a machine with no USB
 * bus. Our own code: only the
 * public libusb-1.0 ABI is reproduced (struct layouts and constants libccid was compiled against),
 * and every URB is forwarded over the Linux USB/IP protocol to `ccid-reader serve`.
 */
#ifndef CCID_STANDIN_H
#define CCID_STANDIN_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#define API __attribute__((visibility("default")))

/* libusb-1.0 public ABI: these layouts must match libusb.h exactly (libccid reads the fields). */
enum {
	LIBUSB_SUCCESS = 0, LIBUSB_ERROR_IO = -1, LIBUSB_ERROR_INVALID_PARAM = -2,
	LIBUSB_ERROR_ACCESS = -3, LIBUSB_ERROR_NO_DEVICE = -4, LIBUSB_ERROR_NOT_FOUND = -5,
	LIBUSB_ERROR_BUSY = -6, LIBUSB_ERROR_TIMEOUT = -7, LIBUSB_ERROR_OVERFLOW = -8,
	LIBUSB_ERROR_PIPE = -9, LIBUSB_ERROR_INTERRUPTED = -10, LIBUSB_ERROR_NO_MEM = -11,
	LIBUSB_ERROR_NOT_SUPPORTED = -12, LIBUSB_ERROR_OTHER = -99
};
enum {
	LIBUSB_TRANSFER_COMPLETED, LIBUSB_TRANSFER_ERROR, LIBUSB_TRANSFER_TIMED_OUT,
	LIBUSB_TRANSFER_CANCELLED, LIBUSB_TRANSFER_STALL, LIBUSB_TRANSFER_NO_DEVICE,
	LIBUSB_TRANSFER_OVERFLOW
};
enum { LIBUSB_TRANSFER_TYPE_CONTROL = 0, LIBUSB_TRANSFER_TYPE_BULK = 2, LIBUSB_TRANSFER_TYPE_INTERRUPT = 3 };
enum { LIBUSB_TRANSFER_FREE_BUFFER = 2, LIBUSB_TRANSFER_FREE_TRANSFER = 4 };

typedef struct libusb_context libusb_context;
typedef struct libusb_device libusb_device;
typedef struct libusb_device_handle libusb_device_handle;

struct libusb_device_descriptor {
	uint8_t bLength, bDescriptorType;
	uint16_t bcdUSB;
	uint8_t bDeviceClass, bDeviceSubClass, bDeviceProtocol, bMaxPacketSize0;
	uint16_t idVendor, idProduct, bcdDevice;
	uint8_t iManufacturer, iProduct, iSerialNumber, bNumConfigurations;
};

struct libusb_endpoint_descriptor {
	uint8_t bLength, bDescriptorType, bEndpointAddress, bmAttributes;
	uint16_t wMaxPacketSize;
	uint8_t bInterval, bRefresh, bSynchAddress;
	const unsigned char *extra;
	int extra_length;
};

struct libusb_interface_descriptor {
	uint8_t bLength, bDescriptorType, bInterfaceNumber, bAlternateSetting, bNumEndpoints;
	uint8_t bInterfaceClass, bInterfaceSubClass, bInterfaceProtocol, iInterface;
	const struct libusb_endpoint_descriptor *endpoint;
	const unsigned char *extra;
	int extra_length;
};

struct libusb_interface {
	const struct libusb_interface_descriptor *altsetting;
	int num_altsetting;
};

struct libusb_config_descriptor {
	uint8_t bLength, bDescriptorType;
	uint16_t wTotalLength;
	uint8_t bNumInterfaces, bConfigurationValue, iConfiguration, bmAttributes, MaxPower;
	const struct libusb_interface *interface;
	const unsigned char *extra;
	int extra_length;
};

struct libusb_transfer;
typedef void (*libusb_transfer_cb_fn)(struct libusb_transfer *transfer);

struct libusb_transfer {
	libusb_device_handle *dev_handle;
	uint8_t flags;
	unsigned char endpoint;
	unsigned char type;
	unsigned int timeout;
	int status;
	int length;
	int actual_length;
	libusb_transfer_cb_fn callback;
	void *user_data;
	unsigned char *buffer;
	int num_iso_packets;
};

/* The USB/IP link (usbip-link.c). One imported device per process. */

/* What the server told us at import time, plus the descriptors read over the link. */
struct standin_device {
	uint32_t busnum, devnum;
	unsigned char device_desc[18];
	unsigned char *config_desc;
	int config_len;
};

/* One URB in flight. `status` is a negative Linux errno, as USB/IP carries it. */
struct urb {
	uint32_t seqnum, unlink_seqnum;
	int dir_in, ep;
	unsigned char setup[8];
	unsigned char *buf;
	int length, actual, status;
	int done, unlinking;
	/* Sync transfers only: signalled when the URB is done or the reader role is free (async ones
	 * wake the event handlers); `waiting` while its thread waits for it. */
	pthread_cond_t *wake;
	int waiting;
	/* Async transfers only: the libusb transfer, why we unlinked it, and its deadline. */
	struct libusb_transfer *transfer;
	int unlink_reason;
	int has_deadline;
	struct timespec deadline;
	struct urb *next;
};

int link_open(struct standin_device *dev);
void link_close(void);
int link_submit(struct urb *u);
int link_sync(struct urb *u, unsigned int timeout_ms);
/* A synchronous bulk transfer (dir_in, ep 1-15, buf, length set); returns bytes or a LIBUSB_ERROR. */
int link_bulk(struct urb *u, unsigned int timeout_ms);
int link_find_transfer(struct libusb_transfer *t, int reason);
int link_handle_events(int *completed);
int link_errno_to_libusb(int status);

#endif
