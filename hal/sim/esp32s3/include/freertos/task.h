/* ESP-IDF v6.0.2 components/freertos/FreeRTOS-Kernel/include/freertos/task.h (the part hal/moddable
 * uses). Like the real one, it needs freertos/FreeRTOS.h first. */
#pragma once

#ifndef INC_FREERTOS_H
	#include "freertos/FreeRTOS.h"
#endif

#define tskNO_AFFINITY ((BaseType_t)0x7FFFFFFF)

#define taskENTER_CRITICAL(x) portENTER_CRITICAL(x)
#define taskEXIT_CRITICAL(x) portEXIT_CRITICAL(x)
