#ifndef STUB_DRIVER_UART_H
#define STUB_DRIVER_UART_H
#include <stdbool.h>
#include "esp_err.h"
typedef int uart_port_t;
#define UART_NUM_MAX 3
#define UART_PIN_NO_CHANGE (-1)
typedef enum { UART_DATA_8_BITS = 3 } uart_word_length_t;
typedef enum { UART_PARITY_DISABLE = 0, UART_PARITY_EVEN = 2, UART_PARITY_ODD = 3 } uart_parity_t;
typedef enum { UART_STOP_BITS_1 = 1, UART_STOP_BITS_2 = 3 } uart_stop_bits_t;
typedef enum { UART_HW_FLOWCTRL_DISABLE = 0 } uart_hw_flowcontrol_t;
typedef enum { UART_SCLK_APB = 1, UART_SCLK_DEFAULT = 1 } uart_sclk_t;
typedef struct {
	int baud_rate;
	uart_word_length_t data_bits;
	uart_parity_t parity;
	uart_stop_bits_t stop_bits;
	uart_hw_flowcontrol_t flow_ctrl;
	unsigned char rx_flow_ctrl_thresh;
	uart_sclk_t source_clk;
} uart_config_t;
esp_err_t uart_param_config(uart_port_t uart_num, const uart_config_t *uart_config);
esp_err_t uart_set_pin(uart_port_t uart_num, int tx_io_num, int rx_io_num, int rts_io_num, int cts_io_num);
esp_err_t uart_set_tx_idle_num(uart_port_t uart_num, unsigned short idle_num);
bool uart_is_driver_installed(uart_port_t uart_num);
#endif
