/* ESP-IDF v6.0.2 components/soc/esp32s3/include/soc/gpio_pins.h: GPIO matrix inputs tied to a
 * constant level. */
#pragma once

#define GPIO_MATRIX_CONST_ONE_INPUT   (0x38)
#define GPIO_MATRIX_CONST_ZERO_INPUT  (0x3C)
