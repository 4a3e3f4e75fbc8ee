/* ESP-IDF v6.0.2 FreeRTOS for the Xtensa port (components/freertos/FreeRTOS-Kernel/portable/xtensa/
 * include/freertos/portmacro.h, reached through freertos/FreeRTOS.h): the spinlock critical
 * sections. On the ESP32-S3 both the task and the ISR forms take the spinlock as their argument. */
#pragma once
#define INC_FREERTOS_H

#include <stdint.h>
#include <stdbool.h>

typedef int BaseType_t;
typedef unsigned int UBaseType_t;

/* components/esp_hw_support/include/spinlock.h */
typedef struct {
	uint32_t owner;
	uint32_t count;
} spinlock_t;

#define SPINLOCK_FREE 0xB33FFFFF
#define SPINLOCK_INITIALIZER {.owner = SPINLOCK_FREE, .count = 0}
static inline void spinlock_initialize(spinlock_t *lock)
{
	lock->owner = SPINLOCK_FREE;
	lock->count = 0;
}

typedef spinlock_t portMUX_TYPE;
#define portMUX_INITIALIZER_UNLOCKED SPINLOCK_INITIALIZER
#define portMUX_INITIALIZE(mux) spinlock_initialize(mux)
#define portMUX_NO_TIMEOUT (-1)

BaseType_t xPortEnterCriticalTimeout(portMUX_TYPE *mux, BaseType_t timeout);
static inline void __attribute__((always_inline)) vPortEnterCritical(portMUX_TYPE *mux)
{
	xPortEnterCriticalTimeout(mux, portMUX_NO_TIMEOUT);
}
void vPortExitCritical(portMUX_TYPE *mux);

#define portENTER_CRITICAL(mux) vPortEnterCritical(mux)
#define portEXIT_CRITICAL(mux) vPortExitCritical(mux)
#define portENTER_CRITICAL_ISR(mux) vPortEnterCritical(mux)
#define portEXIT_CRITICAL_ISR(mux) vPortExitCritical(mux)
