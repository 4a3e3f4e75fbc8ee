/*
 * The USB device behind hal/moddable/usb-device.ts: a TinyUSB application class driver for the CCID
 * interface (class 0x0B, one bulk OUT, one bulk IN, one interrupt IN) on the ESP32-S3's USB-OTG port,
 * installed through esp_tinyusb with the descriptors the TypeScript CCID class generated.
 *
 * TinyUSB has no smart-card class, so this driver claims the interface through
 * usbd_app_driver_get_cb(). It knows nothing of CCID messages: it moves whole transfers between the
 * endpoints and the XS task, and forwards the interface's class requests. TinyUSB runs in its own
 * FreeRTOS task and XS in another, so everything crosses with modMessagePostToMachine (which copies
 * the message) in one direction and usbd_defer_func (which runs a function in the TinyUSB task) in the
 * other. A class request is therefore answered asynchronously: the SETUP is acknowledged to TinyUSB
 * without data, EP0 NAKs until TypeScript has answered, and the answer is sent from the TinyUSB task.
 * Hosts wait seconds for a class request; the XS task answers in milliseconds.
 *
 * One instance per chip: the ESP32-S3 has one USB-OTG controller.
 */

#include "xsmc.h"          /* first: xs.h defines __XS__, which xsHost.h needs to declare the message API */
#include "xsHost.h"
#include "mc.defines.h"

/* espressif/tinyusb sets CFG_TUSB_MCU only in its CMakeLists.txt; Moddable compiles this file with
 * its own make rule, so it is defined here, before any TinyUSB header (without it TinyUSB takes a
 * generic FreeRTOS locking path that does not compile against ESP-IDF's FreeRTOS). */
#ifndef CFG_TUSB_MCU
	#define CFG_TUSB_MCU OPT_MCU_ESP32S3
#endif

#include <string.h>
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "tinyusb.h"
#include "tusb.h"
#include "device/usbd_pvt.h"

/* The largest bulk IN message (dwMaxCCIDMessageLength), from the manifest:
 * "defines": {"ccid": {"max_message": n}} (hal/moddable/manifest.json). */
#ifndef MODDEF_CCID_MAX_MESSAGE
	#error "MODDEF_CCID_MAX_MESSAGE: the manifest's defines must set ccid.max_message"
#endif

/* TinyUSB 0.21 added the is_isr argument to usbd_edpt_xfer (esp_tinyusb pins an earlier release). */
#if TUSB_VERSION_NUMBER >= 2100
	#define edptXfer(rhport, ep, buffer, length) usbd_edpt_xfer(rhport, ep, buffer, length, false)
#else
	#define edptXfer(rhport, ep, buffer, length) usbd_edpt_xfer(rhport, ep, buffer, length)
#endif

#define kPacketSize 64                 /* full speed bulk and interrupt */
/* One bulk OUT transfer is one packet. A longer transfer ends only on a short packet or when full,
   and hosts send no zero-length packet after a command whose length is a multiple of 64 (libccid
   does not), so such a command would wait for the next one. The CCID class reassembles messages by
   dwLength, so handing it packets costs nothing. */
#define kOutSize kPacketSize
#define kInterruptSize kPacketSize
/* The longest control transfer: a class reply of one dword per value a one-byte count can announce
   (CCID §5.3.3 GET_DATA_RATES: bNumDataRatesSupported rates; the boards list about a hundred). */
#define kControlSize (255 * 4)
#define kMaxStrings 8

/* Messages posted to the XS task: kind byte, then its data. */
enum {
	kMessageConfigured = 1,   /* [1] 0 or 1 */
	kMessageBulkOut,          /* [n] the transfer's bytes */
	kMessageInComplete,       /* [1] 0 bulk, 1 interrupt */
	kMessageControl           /* [1] sequence, [8] setup packet, [n] OUT data */
};

enum { kReplyStall = 0, kReplyAck, kReplyData };

typedef struct UsbDeviceRecord {
	xsSlot obj;
	xsSlot callback;
	xsSlot scratch;                 /* ArrayBuffer the deliveries are copied into */
	xsMachine *the;
	uint32_t scratchSize;

	uint8_t rhport;
	uint8_t interfaceNumber;
	uint8_t epOut, epIn, epInterrupt;
	volatile uint8_t configured;
	volatile uint8_t inBusy, interruptBusy;
	uint8_t halted;                 /* endpoints the host halted (SET_FEATURE), as bits: 1 OUT, 2 IN, 4 interrupt */
	uint16_t inLength;
	uint8_t zlpSent;

	tusb_control_request_t request;  /* the class request waiting for TypeScript's answer */
	uint8_t requestSequence;
	uint8_t replyKind;
	uint16_t replyLength;

	tusb_desc_device_t device;
	uint8_t *configuration;
	char *strings[kMaxStrings];
	uint8_t stringCount;
} UsbDeviceRecord, *UsbDevice;

static UsbDevice gUsb = NULL;

/* TinyUSB's DMA/FIFO code reads and writes these from its own context: static and aligned. */
CFG_TUSB_MEM_SECTION CFG_TUSB_MEM_ALIGN static uint8_t gOut[kOutSize];
CFG_TUSB_MEM_SECTION CFG_TUSB_MEM_ALIGN static uint8_t gIn[MODDEF_CCID_MAX_MESSAGE];
CFG_TUSB_MEM_SECTION CFG_TUSB_MEM_ALIGN static uint8_t gInterrupt[kInterruptSize];
CFG_TUSB_MEM_SECTION CFG_TUSB_MEM_ALIGN static uint8_t gControl[kControlSize];

static void usbDeliver(void *the, void *refcon, uint8_t *message, uint16_t messageLength);

static void post(uint8_t kind, const uint8_t *data, uint16_t length, const uint8_t *extra, uint16_t extraLength)
{
	uint8_t message[2 + sizeof(tusb_control_request_t) + kOutSize];
	uint16_t size = 1;
	if (!gUsb)
		return;
	message[0] = kind;
	if (length) {
		memcpy(message + size, data, length);
		size += length;
	}
	if (extraLength) {
		memcpy(message + size, extra, extraLength);
		size += extraLength;
	}
	modMessagePostToMachine(gUsb->the, message, size, usbDeliver, gUsb);
}

static void ccidInit(void)
{
}

static bool ccidDeinit(void)
{
	return true;
}

static void ccidReset(uint8_t rhport)
{
	uint8_t value = 0;
	(void)rhport;
	if (!gUsb)
		return;
	gUsb->epOut = gUsb->epIn = gUsb->epInterrupt = 0;
	gUsb->inBusy = gUsb->interruptBusy = 0;
	gUsb->halted = 0;
	if (gUsb->configured) {
		gUsb->configured = 0;
		post(kMessageConfigured, &value, 1, NULL, 0);
	}
}

/* Claim the CCID interface (USB CCID Rev 1.1 §4: class 0x0B, its functional descriptor, three
 * endpoints) and return how many descriptor bytes belong to it. */
static uint16_t ccidOpen(uint8_t rhport, tusb_desc_interface_t const *interface, uint16_t maxLength)
{
	const uint8_t *p = (const uint8_t *)interface;
	uint16_t length = interface->bLength;
	uint8_t value = 1;

	if (!gUsb || (TUSB_CLASS_SMART_CARD != interface->bInterfaceClass))
		return 0;
	while ((length + 2) <= maxLength) {
		const uint8_t *descriptor = p + length;
		if ((0 == descriptor[0]) || ((length + descriptor[0]) > maxLength) || (TUSB_DESC_INTERFACE == descriptor[1]))
			break;
		if (TUSB_DESC_ENDPOINT == descriptor[1]) {
			const tusb_desc_endpoint_t *endpoint = (const tusb_desc_endpoint_t *)descriptor;
			if (!usbd_edpt_open(rhport, endpoint))
				return 0;
			if (TUSB_XFER_INTERRUPT == endpoint->bmAttributes.xfer)
				gUsb->epInterrupt = endpoint->bEndpointAddress;
			else if (TUSB_DIR_IN == tu_edpt_dir(endpoint->bEndpointAddress))
				gUsb->epIn = endpoint->bEndpointAddress;
			else
				gUsb->epOut = endpoint->bEndpointAddress;
		}
		length += descriptor[0];
	}
	if (!gUsb->epOut || !gUsb->epIn || !gUsb->epInterrupt)
		return 0;

	gUsb->rhport = rhport;
	gUsb->interfaceNumber = interface->bInterfaceNumber;
	gUsb->configured = 1;
	edptXfer(rhport, gUsb->epOut, gOut, kOutSize);
	post(kMessageConfigured, &value, 1, NULL, 0);
	return length;
}

/*
 * The host halted or cleared one of our endpoints (USB 2.0 §9.4.1, §9.4.5; TinyUSB's core has done
 * it and forwards the request). A halt makes the controller drop the transfer armed on the endpoint
 * without a completion (dcd_dwc2.c), and the clear leaves nothing armed (usbd.c clears busy): bulk
 * OUT is armed again, and a message that was going IN counts as sent — the host discarded it with the
 * halt — so that TypeScript does not wait for it forever.
 */
static void endpointFeature(uint8_t rhport, uint8_t endpoint, uint8_t halt)
{
	uint8_t bit = (endpoint == gUsb->epOut) ? 1 : (endpoint == gUsb->epIn) ? 2 : (endpoint == gUsb->epInterrupt) ? 4 : 0;
	uint8_t which;

	if (!bit)
		return;
	if (halt) {
		gUsb->halted |= bit;
		return;
	}
	if (!(gUsb->halted & bit))
		return;      /* never halted: the controller still has its transfer */
	gUsb->halted &= ~bit;
	if (1 == bit)
		edptXfer(rhport, gUsb->epOut, gOut, kOutSize);
	else if ((2 == bit) && gUsb->inBusy) {
		gUsb->inBusy = 0;
		which = 0;
		post(kMessageInComplete, &which, 1, NULL, 0);
	}
	else if ((4 == bit) && gUsb->interruptBusy) {
		gUsb->interruptBusy = 0;
		which = 1;
		post(kMessageInComplete, &which, 1, NULL, 0);
	}
}

static bool ccidControl(uint8_t rhport, uint8_t stage, tusb_control_request_t const *request)
{
	if (!gUsb)
		return false;
	if (TUSB_REQ_TYPE_STANDARD == request->bmRequestType_bit.type) {
		if ((CONTROL_STAGE_SETUP == stage) && (TUSB_REQ_RCPT_ENDPOINT == request->bmRequestType_bit.recipient) &&
			(TUSB_REQ_FEATURE_EDPT_HALT == request->wValue) &&
			((TUSB_REQ_SET_FEATURE == request->bRequest) || (TUSB_REQ_CLEAR_FEATURE == request->bRequest)))
			endpointFeature(rhport, (uint8_t)request->wIndex, TUSB_REQ_SET_FEATURE == request->bRequest);
		return false;      /* the core answers standard requests */
	}
	if (CONTROL_STAGE_SETUP == stage) {
		gUsb->request = *request;
		gUsb->requestSequence++;
		if ((TUSB_DIR_OUT == request->bmRequestType_bit.direction) && request->wLength) {
			/* Take the OUT data first; TypeScript sees it with the request (its answer only logs). */
			if (request->wLength > kControlSize)
				return false;
			return tud_control_xfer(rhport, request, gControl, request->wLength);
		}
		post(kMessageControl, &gUsb->requestSequence, 1, (const uint8_t *)request, sizeof(*request));
		return true;      /* answered later from controlReply(), in this task */
	}
	if ((CONTROL_STAGE_DATA == stage) && (TUSB_DIR_OUT == request->bmRequestType_bit.direction)) {
		uint8_t message[1 + sizeof(tusb_control_request_t)];
		message[0] = gUsb->requestSequence;
		memcpy(message + 1, request, sizeof(*request));
		post(kMessageControl, message, sizeof(message), gControl, request->wLength);
	}
	return true;
}

/* Runs in the TinyUSB task (usbd_defer_func): send TypeScript's answer to the pending request. */
static void controlReply(void *param)
{
	(void)param;
	if (!gUsb)
		return;
	if (kReplyData == gUsb->replyKind)
		tud_control_xfer(gUsb->rhport, &gUsb->request, gControl, gUsb->replyLength);
	else if (kReplyAck == gUsb->replyKind)
		tud_control_status(gUsb->rhport, &gUsb->request);
	else {
		usbd_edpt_stall(gUsb->rhport, 0x00);
		usbd_edpt_stall(gUsb->rhport, 0x80);
	}
}

static bool ccidTransfer(uint8_t rhport, uint8_t endpoint, xfer_result_t result, uint32_t transferred)
{
	uint8_t which;
	(void)result;
	if (!gUsb)
		return false;
	if (endpoint == gUsb->epOut) {
		if (transferred)
			post(kMessageBulkOut, gOut, (uint16_t)transferred, NULL, 0);
		edptXfer(rhport, gUsb->epOut, gOut, kOutSize);
		return true;
	}
	if (endpoint == gUsb->epIn) {
		/* A message that fills its last packet needs a zero-length packet to end the transfer. */
		if (!gUsb->zlpSent && gUsb->inLength && (0 == (gUsb->inLength % kPacketSize))) {
			gUsb->zlpSent = 1;
			edptXfer(rhport, gUsb->epIn, NULL, 0);
			return true;
		}
		gUsb->inBusy = 0;
		which = 0;
		post(kMessageInComplete, &which, 1, NULL, 0);
		return true;
	}
	if (endpoint == gUsb->epInterrupt) {
		gUsb->interruptBusy = 0;
		which = 1;
		post(kMessageInComplete, &which, 1, NULL, 0);
		return true;
	}
	return false;
}

static const usbd_class_driver_t gCcidDriver = {
	.name = "CCID",
	.init = ccidInit,
	.deinit = ccidDeinit,
	.reset = ccidReset,
	.open = ccidOpen,
	.control_xfer_cb = ccidControl,
	.xfer_cb = ccidTransfer,
	.sof = NULL
};

usbd_class_driver_t const *usbd_app_driver_get_cb(uint8_t *driverCount)
{
	*driverCount = 1;
	return &gCcidDriver;
}

/* XS task: copy the message into the scratch buffer and call TypeScript with its length. */
static void usbDeliver(void *theIn, void *refcon, uint8_t *message, uint16_t messageLength)
{
	xsMachine *the = theIn;
	UsbDevice usb = refcon;
	if (usb != gUsb)
		return;      /* closed since it was posted */
	if (messageLength > usb->scratchSize)
		messageLength = (uint16_t)usb->scratchSize;
	xsBeginHost(the);
		xsmcSetArrayBufferData(usb->scratch, 0, message, messageLength);
		xsCallFunction1(usb->callback, usb->obj, xsInteger(messageLength));
	xsEndHost(the);
}

static void usbFree(UsbDevice usb)
{
	uint8_t i;
	for (i = 0; i < usb->stringCount; i++)
		c_free(usb->strings[i]);
	c_free(usb->configuration);
	c_free(usb);
}

void xs_usbdevice_destructor(void *data)
{
	UsbDevice usb = data;
	if (!usb)
		return;
	if (usb == gUsb) {
		tinyusb_driver_uninstall();
		gUsb = NULL;
	}
	usbFree(usb);
}

/*
 * new UsbDevicePort(device, configuration, strings, scratch, callback)
 * device: the 18-byte device descriptor; configuration: the whole configuration set; strings: one
 * buffer of NUL-terminated entries, [0] the two bytes of the language ID, then ASCII strings
 * (esp_tinyusb turns each into a UTF-16 string descriptor); scratch: the ArrayBuffer deliveries
 * are copied into.
 */
void xs_usbdevice(xsMachine *the)
{
	UsbDevice usb;
	tinyusb_config_t config = {0};
	void *data;
	xsUnsignedValue size;

	if (gUsb)
		xsUnknownError("in use");

	usb = c_calloc(1, sizeof(UsbDeviceRecord));
	if (!usb)
		xsUnknownError("no memory");
	xsmcSetHostData(xsThis, usb);
	usb->the = the;
	usb->obj = xsThis;
	usb->scratch = xsArg(3);
	usb->scratchSize = xsmcGetArrayBufferLength(xsArg(3));
	usb->callback = xsArg(4);

	xsmcGetBufferReadable(xsArg(0), &data, &size);
	if (sizeof(usb->device) != size)
		xsRangeError("device descriptor");
	memcpy(&usb->device, data, size);

	xsmcGetBufferReadable(xsArg(1), &data, &size);
	usb->configuration = c_malloc(size);
	if (!usb->configuration)
		xsUnknownError("no memory");
	memcpy(usb->configuration, data, size);

	/* The strings arrive NUL-separated in one buffer: no per-string objects to walk from C. */
	xsmcGetBufferReadable(xsArg(2), &data, &size);
	{
		const char *text = data;
		xsUnsignedValue start = 0, end;
		for (end = 0; end < size; end++) {
			if (text[end])
				continue;
			if (usb->stringCount == kMaxStrings)
				xsRangeError("too many strings");
			usb->strings[usb->stringCount] = c_calloc(1, end - start + 1);
			if (!usb->strings[usb->stringCount])
				xsUnknownError("no memory");
			memcpy(usb->strings[usb->stringCount], text + start, end - start);
			usb->stringCount++;
			start = end + 1;
		}
	}

	config.port = TINYUSB_PORT_FULL_SPEED_0;
	config.phy.skip_setup = false;
	config.phy.self_powered = false;
	config.task.size = 4096;
	config.task.priority = 5;
	config.task.xCoreID = tskNO_AFFINITY;
	config.descriptor.device = &usb->device;
	config.descriptor.full_speed_config = usb->configuration;
	config.descriptor.string = (const char **)usb->strings;
	config.descriptor.string_count = usb->stringCount;

	gUsb = usb;
	if (ESP_OK != tinyusb_driver_install(&config)) {
		gUsb = NULL;
		xsUnknownError("tinyusb install failed");
	}

	xsRemember(usb->obj);
	xsRemember(usb->callback);
	xsRemember(usb->scratch);
}

void xs_usbdevice_close(xsMachine *the)
{
	UsbDevice usb = xsmcGetHostData(xsThis);
	if (!usb || !xsmcGetHostDataValidate(xsThis, xs_usbdevice_destructor))
		return;
	xsForget(usb->scratch);
	xsForget(usb->callback);
	xsForget(usb->obj);
	xsmcSetHostData(xsThis, NULL);
	xs_usbdevice_destructor(usb);
}

static UsbDevice usbOpen(xsMachine *the)
{
	UsbDevice usb = xsmcGetHostDataValidate(xsThis, xs_usbdevice_destructor);
	if (!usb)
		xsUnknownError("closed");
	return usb;
}

/* send(interrupt, message) → false while the endpoint still holds the previous message. */
void xs_usbdevice_send(xsMachine *the)
{
	UsbDevice usb = usbOpen(the);
	uint8_t interrupt = xsmcTest(xsArg(0)) ? 1 : 0;
	uint8_t endpoint = interrupt ? usb->epInterrupt : usb->epIn;
	void *data;
	xsUnsignedValue size;

	xsmcGetBufferReadable(xsArg(1), &data, &size);
	if (size > (interrupt ? kInterruptSize : MODDEF_CCID_MAX_MESSAGE))
		xsRangeError("message too long");
	xsmcSetFalse(xsResult);
	if (!usb->configured || (interrupt ? usb->interruptBusy : usb->inBusy))
		return;
	if (!usbd_edpt_claim(usb->rhport, endpoint))
		return;
	if (interrupt) {
		memcpy(gInterrupt, data, size);
		usb->interruptBusy = 1;
		if (!edptXfer(usb->rhport, endpoint, gInterrupt, (uint16_t)size)) {
			usb->interruptBusy = 0;
			usbd_edpt_release(usb->rhport, endpoint);
			return;
		}
	}
	else {
		memcpy(gIn, data, size);
		usb->inBusy = 1;
		usb->inLength = (uint16_t)size;
		usb->zlpSent = 0;
		if (!edptXfer(usb->rhport, endpoint, gIn, (uint16_t)size)) {
			usb->inBusy = 0;
			usbd_edpt_release(usb->rhport, endpoint);
			return;
		}
	}
	xsmcSetTrue(xsResult);
}

/* reply(sequence, kind, data?) for the class request posted with that sequence number. */
void xs_usbdevice_reply(xsMachine *the)
{
	UsbDevice usb = usbOpen(the);
	uint8_t sequence = (uint8_t)xsmcToInteger(xsArg(0));
	void *data;
	xsUnsignedValue size;

	if (sequence != usb->requestSequence)
		return;      /* the host has moved on (a newer SETUP replaced this one) */
	usb->replyKind = (uint8_t)xsmcToInteger(xsArg(1));
	usb->replyLength = 0;
	if (kReplyData == usb->replyKind) {
		xsmcGetBufferReadable(xsArg(2), &data, &size);
		if (size > usb->request.wLength)
			size = usb->request.wLength;
		if (size > kControlSize)
			size = kControlSize;
		memcpy(gControl, data, size);
		usb->replyLength = (uint16_t)size;
	}
	if (TUSB_DIR_OUT == usb->request.bmRequestType_bit.direction && usb->request.wLength)
		return;      /* the status stage already went with the data (see ccidControl) */
	usbd_defer_func(controlReply, NULL, false);
}

void xs_usbdevice_get_configured(xsMachine *the)
{
	UsbDevice usb = usbOpen(the);
	xsmcSetBoolean(xsResult, usb->configured);
}

void xs_usbdevice_get_capacity(xsMachine *the)
{
	(void)usbOpen(the);
	xsmcSetInteger(xsResult, MODDEF_CCID_MAX_MESSAGE);
}
