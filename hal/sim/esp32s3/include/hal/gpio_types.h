/* ESP-IDF v6.0.2 components/esp_hal_gpio/include/hal/gpio_types.h (the part hal/moddable uses). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "soc/soc_caps.h"
#include "soc/gpio_num.h"
#include "esp_bit_defs.h"

#define GPIO_MODE_DEF_DISABLE         (0)
#define GPIO_MODE_DEF_INPUT           (BIT0)
#define GPIO_MODE_DEF_OUTPUT          (BIT1)
#define GPIO_MODE_DEF_OD              (BIT2)

typedef enum {
	GPIO_MODE_DISABLE = GPIO_MODE_DEF_DISABLE,
	GPIO_MODE_INPUT = GPIO_MODE_DEF_INPUT,
	GPIO_MODE_OUTPUT = GPIO_MODE_DEF_OUTPUT,
	GPIO_MODE_OUTPUT_OD = ((GPIO_MODE_DEF_OUTPUT) | (GPIO_MODE_DEF_OD)),
	GPIO_MODE_INPUT_OUTPUT_OD = ((GPIO_MODE_DEF_INPUT) | (GPIO_MODE_DEF_OUTPUT) | (GPIO_MODE_DEF_OD)),
	GPIO_MODE_INPUT_OUTPUT = ((GPIO_MODE_DEF_INPUT) | (GPIO_MODE_DEF_OUTPUT)),
} gpio_mode_t;

typedef enum {
	GPIO_PULLUP_ONLY,
	GPIO_PULLDOWN_ONLY,
	GPIO_PULLUP_PULLDOWN,
	GPIO_FLOATING,
} gpio_pull_mode_t;
