/* ESP-IDF v6.0.2 components/soc/esp32s3/include/soc/soc_caps.h (the capabilities the mirrored
 * headers use). */
#pragma once

#define SOC_GPTIMER_SUPPORTED       1
#define SOC_GPIO_PIN_COUNT          49
#define SOC_UART_NUM                (3)
#define SOC_UART_HP_NUM             (3)
#define SOC_UART_LP_NUM             (0U)
#define SOC_UART_FIFO_LEN           (128)
#define SOC_UART_BITRATE_MAX        (5000000)
