/* TinyUSB's public types (src/common/tusb_types.h, src/device/usbd.h) and the configuration that
 * esp_tinyusb's tusb_config.h provides. */
#ifndef STUB_TUSB_H
#define STUB_TUSB_H
#include <stdint.h>
#include <stdbool.h>

#ifndef STUB_TUSB_MINOR
	#define STUB_TUSB_MINOR 21
#endif
#define TUSB_VERSION_MAJOR 0
#define TUSB_VERSION_MINOR STUB_TUSB_MINOR
#define TUSB_VERSION_REVISION 0
#define TUSB_VERSION_NUMBER (TUSB_VERSION_MAJOR * 10000 + TUSB_VERSION_MINOR * 100 + TUSB_VERSION_REVISION)

#define CFG_TUSB_MEM_SECTION
#define CFG_TUSB_MEM_ALIGN __attribute__((aligned(4)))

typedef enum { TUSB_XFER_CONTROL = 0, TUSB_XFER_ISOCHRONOUS, TUSB_XFER_BULK, TUSB_XFER_INTERRUPT } tusb_xfer_type_t;
typedef enum { TUSB_DIR_OUT = 0, TUSB_DIR_IN = 1, TUSB_DIR_IN_MASK = 0x80 } tusb_dir_t;
typedef enum { TUSB_DESC_INTERFACE = 0x04, TUSB_DESC_ENDPOINT = 0x05 } tusb_desc_type_t;
typedef enum { TUSB_REQ_TYPE_STANDARD = 0, TUSB_REQ_TYPE_CLASS, TUSB_REQ_TYPE_VENDOR, TUSB_REQ_TYPE_INVALID } tusb_request_type_t;
typedef enum { TUSB_CLASS_SMART_CARD = 11 } tusb_class_code_t;
typedef enum { CONTROL_STAGE_IDLE, CONTROL_STAGE_SETUP, CONTROL_STAGE_DATA, CONTROL_STAGE_ACK } tusb_control_stage_t;
typedef enum { XFER_RESULT_SUCCESS, XFER_RESULT_FAILED, XFER_RESULT_STALLED, XFER_RESULT_TIMEOUT, XFER_RESULT_INVALID } xfer_result_t;

typedef struct __attribute__((packed)) {
	uint8_t bLength;
	uint8_t bDescriptorType;
	uint16_t bcdUSB;
	uint8_t bDeviceClass;
	uint8_t bDeviceSubClass;
	uint8_t bDeviceProtocol;
	uint8_t bMaxPacketSize0;
	uint16_t idVendor;
	uint16_t idProduct;
	uint16_t bcdDevice;
	uint8_t iManufacturer;
	uint8_t iProduct;
	uint8_t iSerialNumber;
	uint8_t bNumConfigurations;
} tusb_desc_device_t;

typedef struct __attribute__((packed)) {
	uint8_t bLength;
	uint8_t bDescriptorType;
	uint16_t bcdUSB;
	uint8_t bDeviceClass;
	uint8_t bDeviceSubClass;
	uint8_t bDeviceProtocol;
	uint8_t bMaxPacketSize0;
	uint8_t bNumConfigurations;
	uint8_t bReserved;
} tusb_desc_device_qualifier_t;

typedef struct __attribute__((packed)) {
	uint8_t bLength;
	uint8_t bDescriptorType;
	uint8_t bInterfaceNumber;
	uint8_t bAlternateSetting;
	uint8_t bNumEndpoints;
	uint8_t bInterfaceClass;
	uint8_t bInterfaceSubClass;
	uint8_t bInterfaceProtocol;
	uint8_t iInterface;
} tusb_desc_interface_t;

typedef struct __attribute__((packed)) {
	uint8_t bLength;
	uint8_t bDescriptorType;
	uint8_t bEndpointAddress;
	struct __attribute__((packed)) { uint8_t xfer : 2; uint8_t sync : 2; uint8_t usage : 2; uint8_t : 2; } bmAttributes;
	uint16_t wMaxPacketSize;
	uint8_t bInterval;
} tusb_desc_endpoint_t;

typedef struct __attribute__((packed)) {
	union {
		struct __attribute__((packed)) { uint8_t recipient : 5; uint8_t type : 2; uint8_t direction : 1; } bmRequestType_bit;
		uint8_t bmRequestType;
	};
	uint8_t bRequest;
	uint16_t wValue;
	uint16_t wIndex;
	uint16_t wLength;
} tusb_control_request_t;

static inline tusb_dir_t tu_edpt_dir(uint8_t addr)
{
	return (addr & TUSB_DIR_IN_MASK) ? TUSB_DIR_IN : TUSB_DIR_OUT;
}

bool tud_control_xfer(uint8_t rhport, tusb_control_request_t const *request, void *buffer, uint16_t len);
bool tud_control_status(uint8_t rhport, tusb_control_request_t const *request);
#endif
