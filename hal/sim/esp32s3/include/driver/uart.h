/* ESP-IDF v6.0.2 components/esp_driver_uart/include/driver/uart.h (the part hal/moddable uses).
 * uart_set_pin() is a macro choosing _uart_set_pin4 or _uart_set_pin6 by its number of arguments. */
#pragma once

#include <stdint.h>
#include <stdbool.h>
#include "esp_err.h"
#include "soc/soc_caps.h"
#include "freertos/FreeRTOS.h"
#include "hal/uart_types.h"

#define UART_PIN_NO_CHANGE      (-1)
#define UART_BITRATE_MAX        SOC_UART_BITRATE_MAX

typedef struct {
	int baud_rate;
	uart_word_length_t data_bits;
	uart_parity_t parity;
	uart_stop_bits_t stop_bits;
	uart_hw_flowcontrol_t flow_ctrl;
	uint8_t rx_flow_ctrl_thresh;
	union {
		uart_sclk_t source_clk;
	};
	struct {
		uint32_t allow_pd: 1;
		uint32_t backup_before_sleep: 1;
	} flags;
} uart_config_t;

bool uart_is_driver_installed(uart_port_t uart_num);
esp_err_t uart_set_tx_idle_num(uart_port_t uart_num, uint16_t idle_num);
esp_err_t uart_param_config(uart_port_t uart_num, const uart_config_t *uart_config);

esp_err_t _uart_set_pin6(uart_port_t uart_num, int tx_io_num, int rx_io_num, int rts_io_num, int cts_io_num, int dtr_io_num, int dsr_io_num);
static inline esp_err_t _uart_set_pin4(uart_port_t uart_num, int tx_io_num, int rx_io_num, int rts_io_num, int cts_io_num)
{
	return _uart_set_pin6(uart_num, tx_io_num, rx_io_num, rts_io_num, cts_io_num, -1, -1);
}
static inline esp_err_t __uart_set_pin_invalid_args__(int dummy, ...)
{
	(void)dummy;
	return ESP_FAIL;
}
#define _GET_UART_SET_PIN_FUNC_NAME(_1, _2, _3, _4, _5, _6, _7, _FUNC_NAME, ...) _FUNC_NAME
#define uart_set_pin(...) \
	_GET_UART_SET_PIN_FUNC_NAME(__VA_ARGS__, \
			_uart_set_pin6, __uart_set_pin_invalid_args__, _uart_set_pin4, \
			__uart_set_pin_invalid_args__, __uart_set_pin_invalid_args__, __uart_set_pin_invalid_args__)(__VA_ARGS__)
