/* ESP-IDF v6.0.2 components/esp_hw_support/include/esp_intr_alloc.h (the part hal/moddable uses). */
#pragma once

#include <stdint.h>
#include <stdbool.h>
#include "esp_err.h"
#include "esp_intr_types.h"

#define ESP_INTR_FLAG_IRAM          (1<<10)

esp_err_t esp_intr_alloc(int source, int flags, intr_handler_t handler, void *arg, intr_handle_t *ret_handle);
esp_err_t esp_intr_free(intr_handle_t handle);
