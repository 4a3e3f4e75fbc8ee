/* ESP-IDF v6.0.2 components/esp_hw_support/include/esp_intr_types.h. */
#pragma once

typedef void (*intr_handler_t)(void *arg);
typedef struct intr_handle_data_t *intr_handle_t;
