#ifndef STUB_SOC_GPIO_PINS_H
#define STUB_SOC_GPIO_PINS_H
/* GPIO matrix input source that always reads 1 (ESP32-S3). */
#define GPIO_MATRIX_CONST_ONE_INPUT (0x38)
#endif
