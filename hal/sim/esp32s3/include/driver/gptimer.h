/* ESP-IDF v6.0.2 components/esp_driver_gptimer/include/driver/gptimer.h (the part hal/moddable
 * uses). gptimer_get_raw_count and gptimer_set_alarm_action may run in an interrupt handler. */
#pragma once

#include <stdint.h>
#include <stdbool.h>
#include "esp_err.h"
#include "driver/gptimer_types.h"

typedef struct {
	gptimer_clock_source_t clk_src;
	gptimer_count_direction_t direction;
	uint32_t resolution_hz;
	int intr_priority;
	struct {
		uint32_t intr_shared: 1;
		uint32_t allow_pd: 1;
	} flags;
} gptimer_config_t;

esp_err_t gptimer_new_timer(const gptimer_config_t *config, gptimer_handle_t *ret_timer);
esp_err_t gptimer_del_timer(gptimer_handle_t timer);
esp_err_t gptimer_get_raw_count(gptimer_handle_t timer, uint64_t *value);

typedef struct {
	gptimer_alarm_cb_t on_alarm;
} gptimer_event_callbacks_t;

esp_err_t gptimer_register_event_callbacks(gptimer_handle_t timer, const gptimer_event_callbacks_t *cbs, void *user_data);

typedef struct {
	uint64_t alarm_count;
	uint64_t reload_count;
	struct {
		uint32_t auto_reload_on_alarm: 1;
	} flags;
} gptimer_alarm_config_t;

esp_err_t gptimer_set_alarm_action(gptimer_handle_t timer, const gptimer_alarm_config_t *config);
esp_err_t gptimer_enable(gptimer_handle_t timer);
esp_err_t gptimer_disable(gptimer_handle_t timer);
esp_err_t gptimer_start(gptimer_handle_t timer);
esp_err_t gptimer_stop(gptimer_handle_t timer);
