/* ESP-IDF v6.0.2 components/esp_hal_gpio/esp32s3/include/hal/gpio_ll.h: output and input level of
 * a GPIO (static inline register accessors in ESP-IDF; declarations here, see README.md). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "soc/gpio_struct.h"
#include "hal/gpio_types.h"

void gpio_ll_set_level(gpio_dev_t *hw, uint32_t gpio_num, uint32_t level);
int gpio_ll_get_level(gpio_dev_t *hw, uint32_t gpio_num);
