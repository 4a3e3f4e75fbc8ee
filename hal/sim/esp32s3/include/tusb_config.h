/* esp_tinyusb 2.2.1 include/tusb_config.h (espressif/esp-usb device/esp_tinyusb): the TinyUSB
 * configuration for ESP32-S3 (full-speed device, FreeRTOS). */
#pragma once

#include "esp_attr.h"

#define CFG_TUD_ENABLED                 1
#define CFG_TUSB_OS                     OPT_OS_FREERTOS
#define CFG_TUSB_MEM_SECTION            TU_ATTR_ALIGNED(4) DRAM_ATTR
#define CFG_TUSB_MEM_ALIGN              TU_ATTR_ALIGNED(4)
#define CFG_TUD_ENDPOINT0_SIZE          64
