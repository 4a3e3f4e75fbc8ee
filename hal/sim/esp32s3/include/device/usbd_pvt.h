/* TinyUSB src/device/usbd_pvt.h (espressif/tinyusb v0.19.0.3; 0.21.0 with -DSTUB_TUSB_MINOR=21):
 * the class driver API an application driver uses. 0.21 added is_isr to usbd_edpt_xfer. */
#pragma once

#include "osal/osal.h"

typedef struct {
	char const *name;
	void     (*init             )(void);
	bool     (*deinit           )(void);
	void     (*reset            )(uint8_t rhport);
	uint16_t (*open             )(uint8_t rhport, tusb_desc_interface_t const *desc_intf, uint16_t max_len);
	bool     (*control_xfer_cb  )(uint8_t rhport, uint8_t stage, tusb_control_request_t const *request);
	bool     (*xfer_cb          )(uint8_t rhport, uint8_t ep_addr, xfer_result_t result, uint32_t xferred_bytes);
	bool     (*xfer_isr         )(uint8_t rhport, uint8_t ep_addr, xfer_result_t result, uint32_t xferred_bytes);
	void     (*sof              )(uint8_t rhport, uint32_t frame_count);
} usbd_class_driver_t;

usbd_class_driver_t const *usbd_app_driver_get_cb(uint8_t *driver_count);

bool usbd_edpt_open(uint8_t rhport, tusb_desc_endpoint_t const *desc_ep);
#if TUSB_VERSION_NUMBER >= 2100
bool usbd_edpt_xfer(uint8_t rhport, uint8_t ep_addr, uint8_t *buffer, uint16_t total_bytes, bool is_isr);
#else
bool usbd_edpt_xfer(uint8_t rhport, uint8_t ep_addr, uint8_t *buffer, uint16_t total_bytes);
#endif
bool usbd_edpt_claim(uint8_t rhport, uint8_t ep_addr);
bool usbd_edpt_release(uint8_t rhport, uint8_t ep_addr);
bool usbd_edpt_busy(uint8_t rhport, uint8_t ep_addr);
void usbd_edpt_stall(uint8_t rhport, uint8_t ep_addr);
void usbd_edpt_clear_stall(uint8_t rhport, uint8_t ep_addr);
bool usbd_edpt_stalled(uint8_t rhport, uint8_t ep_addr);

void usbd_defer_func(osal_task_func_t func, void *param, bool in_isr);
