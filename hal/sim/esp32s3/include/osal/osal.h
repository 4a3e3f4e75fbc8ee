/* TinyUSB src/osal/osal.h: the OS abstraction (FreeRTOS with esp_tinyusb's configuration). */
#pragma once

#include "common/tusb_common.h"

typedef void (*osal_task_func_t)(void *);

#if CFG_TUSB_OS == OPT_OS_FREERTOS
	#include "osal/osal_freertos.h"
#endif
