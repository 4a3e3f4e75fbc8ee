/* FreeRTOS as ESP-IDF configures it: the spinlock critical sections used by hal/moddable. */
#ifndef STUB_FREERTOS_H
#define STUB_FREERTOS_H
#include <stdint.h>
typedef struct { uint32_t owner; uint32_t count; } portMUX_TYPE;
void vPortEnterCritical(portMUX_TYPE *mux);
void vPortExitCritical(portMUX_TYPE *mux);
#define portMUX_INITIALIZE(mux) do { (mux)->owner = 0xB33FFFFF; (mux)->count = 0; } while (0)
#define portENTER_CRITICAL(mux) vPortEnterCritical(mux)
#define portEXIT_CRITICAL(mux) vPortExitCritical(mux)
#define portENTER_CRITICAL_ISR(mux) vPortEnterCritical(mux)
#define portEXIT_CRITICAL_ISR(mux) vPortExitCritical(mux)
#define tskNO_AFFINITY 0x7FFFFFFF
#endif
