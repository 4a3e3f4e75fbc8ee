/* ESP-IDF v6.0.2 components/esp_hal_uart/include/hal/uart_types.h (the part hal/moddable uses). */
#pragma once

#include <stdint.h>
#include <stdbool.h>
#include "soc/soc_caps.h"
#include "soc/clk_tree_defs.h"

typedef enum {
	UART_NUM_0,
	UART_NUM_1,
	UART_NUM_2,
	UART_NUM_MAX,
} uart_port_t;

typedef enum {
	UART_MODE_UART = 0x00,
	UART_MODE_RS485_HALF_DUPLEX = 0x01,
	UART_MODE_IRDA = 0x02,
	UART_MODE_RS485_COLLISION_DETECT = 0x03,
	UART_MODE_RS485_APP_CTRL = 0x04,
} uart_mode_t;

typedef enum {
	UART_DATA_5_BITS   = 0x0,
	UART_DATA_6_BITS   = 0x1,
	UART_DATA_7_BITS   = 0x2,
	UART_DATA_8_BITS   = 0x3,
	UART_DATA_BITS_MAX = 0x4,
} uart_word_length_t;

typedef enum {
	UART_STOP_BITS_1   = 0x1,
	UART_STOP_BITS_1_5 = 0x2,
	UART_STOP_BITS_2   = 0x3,
	UART_STOP_BITS_MAX = 0x4,
} uart_stop_bits_t;

typedef enum {
	UART_PARITY_DISABLE  = 0x0,
	UART_PARITY_EVEN     = 0x2,
	UART_PARITY_ODD      = 0x3
} uart_parity_t;

typedef enum {
	UART_HW_FLOWCTRL_DISABLE = 0x0,
	UART_HW_FLOWCTRL_RTS     = 0x1,
	UART_HW_FLOWCTRL_CTS     = 0x2,
	UART_HW_FLOWCTRL_CTS_RTS = 0x3,
	UART_HW_FLOWCTRL_MAX     = 0x4,
} uart_hw_flowcontrol_t;

typedef soc_periph_uart_clk_src_legacy_t uart_sclk_t;
