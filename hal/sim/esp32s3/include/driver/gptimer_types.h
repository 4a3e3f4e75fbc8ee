/* ESP-IDF v6.0.2 components/esp_driver_gptimer/include/driver/gptimer_types.h. */
#pragma once

#include <stdint.h>
#include <stdbool.h>
#include "hal/timer_types.h"

typedef struct gptimer_t *gptimer_handle_t;

typedef struct {
	uint64_t count_value;
	uint64_t alarm_value;
} gptimer_alarm_event_data_t;

typedef bool (*gptimer_alarm_cb_t)(gptimer_handle_t timer, const gptimer_alarm_event_data_t *edata, void *user_ctx);
