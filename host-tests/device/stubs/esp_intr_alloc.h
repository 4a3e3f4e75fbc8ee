#ifndef STUB_ESP_INTR_ALLOC_H
#define STUB_ESP_INTR_ALLOC_H
#include "esp_err.h"
typedef struct intr_handle_data_t *intr_handle_t;
typedef void (*intr_handler_t)(void *arg);
#define ESP_INTR_FLAG_IRAM (1 << 10)
esp_err_t esp_intr_alloc(int source, int flags, intr_handler_t handler, void *arg, intr_handle_t *ret_handle);
esp_err_t esp_intr_free(intr_handle_t handle);
#endif
