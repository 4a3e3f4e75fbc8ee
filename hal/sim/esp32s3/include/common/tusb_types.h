/* TinyUSB src/common/tusb_types.h (v0.19.0.3; the same in 0.21.0): the USB 2.0 chapter 9 types the
 * CCID driver uses. */
#pragma once

#include <stdint.h>
#include <stdbool.h>

typedef enum {
	TUSB_XFER_CONTROL     = 0,
	TUSB_XFER_ISOCHRONOUS = 1,
	TUSB_XFER_BULK        = 2,
	TUSB_XFER_INTERRUPT   = 3
} tusb_xfer_type_t;

typedef enum {
	TUSB_DIR_OUT = 0,
	TUSB_DIR_IN  = 1,
	TUSB_DIR_IN_MASK = 0x80
} tusb_dir_t;

typedef enum {
	TUSB_DESC_DEVICE                = 0x01,
	TUSB_DESC_CONFIGURATION         = 0x02,
	TUSB_DESC_STRING                = 0x03,
	TUSB_DESC_INTERFACE             = 0x04,
	TUSB_DESC_ENDPOINT              = 0x05,
	TUSB_DESC_DEVICE_QUALIFIER      = 0x06,
	TUSB_DESC_OTHER_SPEED_CONFIG    = 0x07,
} tusb_desc_type_t;

typedef enum {
	TUSB_REQ_GET_STATUS        = 0  ,
	TUSB_REQ_CLEAR_FEATURE     = 1  ,
	TUSB_REQ_RESERVED          = 2  ,
	TUSB_REQ_SET_FEATURE       = 3  ,
	TUSB_REQ_RESERVED2         = 4  ,
	TUSB_REQ_SET_ADDRESS       = 5  ,
	TUSB_REQ_GET_DESCRIPTOR    = 6  ,
	TUSB_REQ_SET_DESCRIPTOR    = 7  ,
	TUSB_REQ_GET_CONFIGURATION = 8  ,
	TUSB_REQ_SET_CONFIGURATION = 9  ,
	TUSB_REQ_GET_INTERFACE     = 10 ,
	TUSB_REQ_SET_INTERFACE     = 11 ,
	TUSB_REQ_SYNCH_FRAME       = 12
} tusb_request_code_t;

typedef enum {
	TUSB_REQ_FEATURE_EDPT_HALT     = 0,
	TUSB_REQ_FEATURE_REMOTE_WAKEUP = 1,
	TUSB_REQ_FEATURE_TEST_MODE     = 2
} tusb_request_feature_selector_t;

typedef enum {
	TUSB_REQ_TYPE_STANDARD = 0,
	TUSB_REQ_TYPE_CLASS,
	TUSB_REQ_TYPE_VENDOR,
	TUSB_REQ_TYPE_INVALID
} tusb_request_type_t;

typedef enum {
	TUSB_REQ_RCPT_DEVICE = 0,
	TUSB_REQ_RCPT_INTERFACE,
	TUSB_REQ_RCPT_ENDPOINT,
	TUSB_REQ_RCPT_OTHER
} tusb_request_recipient_t;

typedef enum {
	TUSB_CLASS_UNSPECIFIED          = 0,
	TUSB_CLASS_SMART_CARD           = 11,
	TUSB_CLASS_VENDOR_SPECIFIC      = 0xFF
} tusb_class_code_t;

typedef enum {
	XFER_RESULT_SUCCESS = 0,
	XFER_RESULT_FAILED,
	XFER_RESULT_STALLED,
	XFER_RESULT_TIMEOUT,
	XFER_RESULT_INVALID
} xfer_result_t;

enum {
	CONTROL_STAGE_IDLE = 0,
	CONTROL_STAGE_SETUP,
	CONTROL_STAGE_DATA,
	CONTROL_STAGE_ACK
};

typedef struct TU_ATTR_PACKED {
	uint8_t  bLength;
	uint8_t  bDescriptorType;
	uint16_t bcdUSB;
	uint8_t  bDeviceClass;
	uint8_t  bDeviceSubClass;
	uint8_t  bDeviceProtocol;
	uint8_t  bMaxPacketSize0;
	uint16_t idVendor;
	uint16_t idProduct;
	uint16_t bcdDevice;
	uint8_t  iManufacturer;
	uint8_t  iProduct;
	uint8_t  iSerialNumber;
	uint8_t  bNumConfigurations;
} tusb_desc_device_t;

typedef struct TU_ATTR_PACKED {
	uint8_t  bLength;
	uint8_t  bDescriptorType;
	uint16_t wTotalLength;
	uint8_t  bNumInterfaces;
	uint8_t  bConfigurationValue;
	uint8_t  iConfiguration;
	uint8_t  bmAttributes;
	uint8_t  bMaxPower;
} tusb_desc_configuration_t;

typedef struct TU_ATTR_PACKED {
	uint8_t  bLength;
	uint8_t  bDescriptorType;
	uint8_t  bInterfaceNumber;
	uint8_t  bAlternateSetting;
	uint8_t  bNumEndpoints;
	uint8_t  bInterfaceClass;
	uint8_t  bInterfaceSubClass;
	uint8_t  bInterfaceProtocol;
	uint8_t  iInterface;
} tusb_desc_interface_t;

typedef struct TU_ATTR_PACKED {
	uint8_t  bLength;
	uint8_t  bDescriptorType;
	uint8_t  bEndpointAddress;
	struct TU_ATTR_PACKED {
		uint8_t xfer  : 2;
		uint8_t sync  : 2;
		uint8_t usage : 2;
		uint8_t       : 2;
	} bmAttributes;
	uint16_t wMaxPacketSize;
	uint8_t  bInterval;
} tusb_desc_endpoint_t;

typedef struct TU_ATTR_PACKED {
	uint8_t  bLength;
	uint8_t  bDescriptorType;
	uint16_t bcdUSB;
	uint8_t  bDeviceClass;
	uint8_t  bDeviceSubClass;
	uint8_t  bDeviceProtocol;
	uint8_t  bMaxPacketSize0;
	uint8_t  bNumConfigurations;
	uint8_t  bReserved;
} tusb_desc_device_qualifier_t;

typedef struct TU_ATTR_PACKED {
	union {
		struct TU_ATTR_PACKED {
			uint8_t recipient :  5;
			uint8_t type      :  2;
			uint8_t direction :  1;
		} bmRequestType_bit;
		uint8_t bmRequestType;
	};
	uint8_t  bRequest;
	uint16_t wValue;
	uint16_t wIndex;
	uint16_t wLength;
} tusb_control_request_t;

_Static_assert(sizeof(tusb_desc_device_t) == 18, "size is not correct");
_Static_assert(sizeof(tusb_desc_interface_t) == 9, "size is not correct");
_Static_assert(sizeof(tusb_desc_endpoint_t) == 7, "size is not correct");
_Static_assert(sizeof(tusb_control_request_t) == 8, "size is not correct");

TU_ATTR_ALWAYS_INLINE static inline tusb_dir_t tu_edpt_dir(uint8_t addr)
{
	return (addr & TUSB_DIR_IN_MASK) ? TUSB_DIR_IN : TUSB_DIR_OUT;
}

TU_ATTR_ALWAYS_INLINE static inline uint8_t tu_edpt_number(uint8_t addr)
{
	return (uint8_t)(addr & (~TUSB_DIR_IN_MASK));
}
