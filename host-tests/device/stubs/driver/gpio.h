#ifndef STUB_DRIVER_GPIO_H
#define STUB_DRIVER_GPIO_H
#include "esp_err.h"
typedef int gpio_num_t;
typedef enum { GPIO_MODE_INPUT_OUTPUT_OD = 7 } gpio_mode_t;
typedef enum { GPIO_PULLUP_ONLY = 0, GPIO_FLOATING = 3 } gpio_pull_mode_t;
esp_err_t gpio_set_direction(gpio_num_t gpio_num, gpio_mode_t mode);
esp_err_t gpio_set_pull_mode(gpio_num_t gpio_num, gpio_pull_mode_t pull);
esp_err_t gpio_reset_pin(gpio_num_t gpio_num);
#endif
