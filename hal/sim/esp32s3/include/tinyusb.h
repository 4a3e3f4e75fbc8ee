/* esp_tinyusb 2.2.1 include/tinyusb.h (espressif/esp-usb device/esp_tinyusb): installing the
 * TinyUSB device stack with application descriptors, on the ESP32-S3's full-speed USB-OTG port. */
#pragma once

#include <stdbool.h>
#include "esp_err.h"
#include "soc/soc_caps.h"
#include "tusb.h"

#define TINYUSB_ESPRESSIF_VID                   0x303A

typedef enum {
	TINYUSB_PORT_FULL_SPEED_0 = 0,
	TINYUSB_PORT_MAX,
} tinyusb_port_t;

typedef struct {
	bool skip_setup;
	bool self_powered;
	int vbus_monitor_io;
} tinyusb_phy_config_t;

typedef struct {
	size_t size;
	uint8_t priority;
	int xCoreID;
} tinyusb_task_config_t;

typedef struct {
	const tusb_desc_device_t *device;
	const tusb_desc_device_qualifier_t *qualifier;
	const char **string;
	int string_count;
	const uint8_t *full_speed_config;
	const uint8_t *high_speed_config;
} tinyusb_desc_config_t;

typedef enum {
	TINYUSB_EVENT_ATTACHED = 0,
	TINYUSB_EVENT_DETACHED = 1,
} tinyusb_event_id_t;

typedef struct {
	tinyusb_event_id_t id;
	uint8_t rhport;
	union {
		struct {
			bool remote_wakeup;
		} suspended;
	};
} tinyusb_event_t;

typedef void (*tinyusb_event_cb_t)(tinyusb_event_t *event, void *arg);

typedef struct {
	tinyusb_port_t port;
	tinyusb_phy_config_t phy;
	tinyusb_task_config_t task;
	tinyusb_desc_config_t descriptor;
	tinyusb_event_cb_t event_cb;
	void *event_arg;
} tinyusb_config_t;

esp_err_t tinyusb_driver_install(const tinyusb_config_t *config);
esp_err_t tinyusb_driver_uninstall(void);
