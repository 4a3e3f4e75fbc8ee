/* TinyUSB src/tusb_option.h (espressif/tinyusb v0.19.0.3; hathach/tinyusb 0.21.0 with
 * -DSTUB_TUSB_MINOR=21): version, MCU and OS options, then the application's tusb_config.h
 * (esp_tinyusb's). CFG_TUSB_MCU is set by espressif/tinyusb's CMakeLists.txt only
 * (-DCFG_TUSB_MCU=OPT_MCU_ESP32S3); code compiled outside that CMake must define it itself, or the
 * generic FreeRTOS locking of osal/osal_freertos.h is taken, which does not compile against
 * ESP-IDF's FreeRTOS (its critical sections take a spinlock). Upstream 0.21 chooses the lock by
 * ESP_PLATFORM instead. */
#pragma once

#include "common/tusb_compiler.h"

#ifndef STUB_TUSB_MINOR
	#define STUB_TUSB_MINOR 19
#endif
#define TUSB_VERSION_MAJOR     0
#define TUSB_VERSION_MINOR     STUB_TUSB_MINOR
#define TUSB_VERSION_REVISION  0
#define TUSB_VERSION_NUMBER    (TUSB_VERSION_MAJOR * 10000 + TUSB_VERSION_MINOR * 100 + TUSB_VERSION_REVISION)

#define OPT_MCU_NONE                0
#define OPT_MCU_ESP32S2           900
#define OPT_MCU_ESP32S3           901

#define TUSB_MCU_VENDOR_ESPRESSIF (CFG_TUSB_MCU >= 900 && CFG_TUSB_MCU < 1000)
#define TUP_MCU_ESPRESSIF        TUSB_MCU_VENDOR_ESPRESSIF

#define OPT_OS_NONE       1
#define OPT_OS_FREERTOS   2

#include "tusb_config.h"

#if CFG_TUSB_MCU == OPT_MCU_ESP32S3
	#define TUP_MCU_MULTIPLE_CORE 1
#endif
#ifndef TUP_MCU_MULTIPLE_CORE
	#define TUP_MCU_MULTIPLE_CORE 0
#endif

#ifndef CFG_TUSB_OS
	#define CFG_TUSB_OS           OPT_OS_NONE
#endif
#ifndef CFG_TUSB_MEM_SECTION
	#define CFG_TUSB_MEM_SECTION
#endif
#ifndef CFG_TUSB_MEM_ALIGN
	#define CFG_TUSB_MEM_ALIGN      TU_ATTR_ALIGNED(4)
#endif
