/* ESP-IDF v6.0.2 FreeRTOS for the Xtensa port (components/freertos/FreeRTOS-Kernel/portable/xtensa/
 * include/freertos/portmacro.h, reached through freertos/FreeRTOS.h): the spinlock critical
 * sections and the yield from an interrupt handler. On the ESP32-S3 both the task and the ISR forms
 * of the critical section take the spinlock as their argument. */
#pragma once
#define INC_FREERTOS_H

#include <stdint.h>
#include <stdbool.h>

typedef int BaseType_t;
typedef unsigned int UBaseType_t;

/* FreeRTOS-Kernel/include/freertos/projdefs.h */
#define pdFALSE ((BaseType_t)0)
#define pdTRUE ((BaseType_t)1)

/* components/esp_common/include/esp_macros.h (the C form, not the C++20 one) */
#define CHOOSE_MACRO_VA_ARG_INN(one, two, MACRO1, MACRO2, ...) MACRO1
#define CHOOSE_MACRO_VA_ARG(MACRO_WITH_ARGS, MACRO_WITH_NO_ARGS, ...) CHOOSE_MACRO_VA_ARG_INN(0, ##__VA_ARGS__, MACRO_WITH_ARGS, MACRO_WITH_NO_ARGS, 0)

/* FreeRTOS-Kernel/include/freertos/FreeRTOS.h */
#ifndef traceISR_EXIT_TO_SCHEDULER
	#define traceISR_EXIT_TO_SCHEDULER()
#endif

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

/* portmacro.h, "Yielding": a task switch on return from the interrupt handler (portasm.S). */
extern void _frxt_setup_switch(void);

#define portYIELD_FROM_ISR_NO_ARG() ({ \
    traceISR_EXIT_TO_SCHEDULER(); \
    _frxt_setup_switch(); \
})
#define portYIELD_FROM_ISR_ARG(xHigherPriorityTaskWoken) ({ \
    if (xHigherPriorityTaskWoken == pdTRUE) { \
        traceISR_EXIT_TO_SCHEDULER(); \
        _frxt_setup_switch(); \
    } \
})
#define portYIELD_FROM_ISR(...) CHOOSE_MACRO_VA_ARG(portYIELD_FROM_ISR_ARG, portYIELD_FROM_ISR_NO_ARG, ##__VA_ARGS__)(__VA_ARGS__)
