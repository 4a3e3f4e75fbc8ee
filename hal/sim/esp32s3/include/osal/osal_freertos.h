/* TinyUSB src/osal/osal_freertos.h: the spinlock. On Espressif chips (v0.19.0.3: CFG_TUSB_MCU of an
 * Espressif MCU; 0.21.0: ESP_PLATFORM) it is ESP-IDF's portMUX spinlock; otherwise FreeRTOS's
 * argument-less critical sections, which ESP-IDF's FreeRTOS does not have (its taskENTER_CRITICAL
 * takes a spinlock). */
#pragma once

#include "freertos/FreeRTOS.h"
#include "freertos/task.h"

#if (TUSB_VERSION_NUMBER >= 2100 && defined(ESP_PLATFORM)) || (TUSB_VERSION_NUMBER < 2100 && TUSB_MCU_VENDOR_ESPRESSIF)
typedef portMUX_TYPE osal_spinlock_t;

TU_ATTR_ALWAYS_INLINE static inline void osal_spin_init(osal_spinlock_t *ctx)
{
	spinlock_initialize(ctx);
}

TU_ATTR_ALWAYS_INLINE static inline void osal_spin_lock(osal_spinlock_t *ctx, bool in_isr)
{
	if (!TUP_MCU_MULTIPLE_CORE && in_isr)
		return;
	portENTER_CRITICAL(ctx);
}

TU_ATTR_ALWAYS_INLINE static inline void osal_spin_unlock(osal_spinlock_t *ctx, bool in_isr)
{
	if (!TUP_MCU_MULTIPLE_CORE && in_isr)
		return;
	portEXIT_CRITICAL(ctx);
}
#else
typedef UBaseType_t osal_spinlock_t;

TU_ATTR_ALWAYS_INLINE static inline void osal_spin_init(osal_spinlock_t *ctx)
{
	(void)ctx;
}

TU_ATTR_ALWAYS_INLINE static inline void osal_spin_lock(osal_spinlock_t *ctx, bool in_isr)
{
	(void)ctx;
	(void)in_isr;
	taskENTER_CRITICAL();
}

TU_ATTR_ALWAYS_INLINE static inline void osal_spin_unlock(osal_spinlock_t *ctx, bool in_isr)
{
	(void)ctx;
	(void)in_isr;
	taskEXIT_CRITICAL();
}
#endif
