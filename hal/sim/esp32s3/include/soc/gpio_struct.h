/* ESP-IDF v6.0.2 components/soc/esp32s3/register/soc/gpio_struct.h: the GPIO register block. The
 * drivers reach it only through hal/gpio_ll.h; its first registers are declared at their offsets. */
#pragma once

#include <stdint.h>

typedef volatile struct gpio_dev_s {
	uint32_t bt_select;
	uint32_t out;
	uint32_t out_w1ts;
	uint32_t out_w1tc;
} gpio_dev_t;

extern gpio_dev_t GPIO;
