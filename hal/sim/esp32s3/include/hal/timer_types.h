/* ESP-IDF v6.0.2 components/esp_hal_timg/include/hal/timer_types.h (the part the GPTimer driver API
 * uses). */
#pragma once

#include "soc/soc_caps.h"
#include "soc/clk_tree_defs.h"

typedef soc_periph_gptimer_clk_src_t gptimer_clock_source_t;

typedef enum {
	GPTIMER_COUNT_DOWN,
	GPTIMER_COUNT_UP,
} gptimer_count_direction_t;
