/* ESP-IDF v6.0.2 components/soc/esp32s3/register/soc/uart_struct.h: the UART register block
 * (ESP32-S3 TRM, UART Controller, register summary). All 33 registers are at their offsets; fields
 * are spelled out only for the registers the drivers read directly (fsm_status). The virtual board
 * keeps these words current from its UART model. */
#pragma once

#include <stdint.h>

typedef union {
	uint32_t val;
} uart_fifo_reg_t;

typedef union {
	uint32_t val;
} uart_int_raw_reg_t;

typedef union {
	uint32_t val;
} uart_int_st_reg_t;

typedef union {
	uint32_t val;
} uart_int_ena_reg_t;

typedef union {
	uint32_t val;
} uart_int_clr_reg_t;

typedef union {
	uint32_t val;
} uart_clkdiv_reg_t;

typedef union {
	uint32_t val;
} uart_rx_filt_reg_t;

typedef union {
	uint32_t val;
} uart_status_reg_t;

typedef union {
	uint32_t val;
} uart_conf0_reg_t;

typedef union {
	uint32_t val;
} uart_conf1_reg_t;

typedef union {
	uint32_t val;
} uart_lowpulse_reg_t;

typedef union {
	uint32_t val;
} uart_highpulse_reg_t;

typedef union {
	uint32_t val;
} uart_rxd_cnt_reg_t;

typedef union {
	uint32_t val;
} uart_flow_conf_reg_t;

typedef union {
	uint32_t val;
} uart_sleep_conf_reg_t;

typedef union {
	uint32_t val;
} uart_swfc_conf0_reg_t;

typedef union {
	uint32_t val;
} uart_swfc_conf1_reg_t;

typedef union {
	uint32_t val;
} uart_txbrk_conf_reg_t;

typedef union {
	uint32_t val;
} uart_idle_conf_reg_t;

typedef union {
	uint32_t val;
} uart_rs485_conf_reg_t;

typedef union {
	uint32_t val;
} uart_at_cmd_precnt_reg_t;

typedef union {
	uint32_t val;
} uart_at_cmd_postcnt_reg_t;

typedef union {
	uint32_t val;
} uart_at_cmd_gaptout_reg_t;

typedef union {
	uint32_t val;
} uart_at_cmd_char_reg_t;

typedef union {
	uint32_t val;
} uart_mem_conf_reg_t;

typedef union {
	uint32_t val;
} uart_mem_tx_status_reg_t;

typedef union {
	uint32_t val;
} uart_mem_rx_status_reg_t;

typedef union {
	struct {
		uint32_t st_urx_out:4;
		uint32_t st_utx_out:4;
		uint32_t reserved_8:24;
	};
	uint32_t val;
} uart_fsm_status_reg_t;

typedef union {
	uint32_t val;
} uart_pospulse_reg_t;

typedef union {
	uint32_t val;
} uart_negpulse_reg_t;

typedef union {
	uint32_t val;
} uart_clk_conf_reg_t;

typedef union {
	uint32_t val;
} uart_date_reg_t;

typedef union {
	uint32_t val;
} uart_id_reg_t;

typedef struct {
	volatile uart_fifo_reg_t fifo;
	volatile uart_int_raw_reg_t int_raw;
	volatile uart_int_st_reg_t int_st;
	volatile uart_int_ena_reg_t int_ena;
	volatile uart_int_clr_reg_t int_clr;
	volatile uart_clkdiv_reg_t clkdiv;
	volatile uart_rx_filt_reg_t rx_filt;
	volatile uart_status_reg_t status;
	volatile uart_conf0_reg_t conf0;
	volatile uart_conf1_reg_t conf1;
	volatile uart_lowpulse_reg_t lowpulse;
	volatile uart_highpulse_reg_t highpulse;
	volatile uart_rxd_cnt_reg_t rxd_cnt;
	volatile uart_flow_conf_reg_t flow_conf;
	volatile uart_sleep_conf_reg_t sleep_conf;
	volatile uart_swfc_conf0_reg_t swfc_conf0;
	volatile uart_swfc_conf1_reg_t swfc_conf1;
	volatile uart_txbrk_conf_reg_t txbrk_conf;
	volatile uart_idle_conf_reg_t idle_conf;
	volatile uart_rs485_conf_reg_t rs485_conf;
	volatile uart_at_cmd_precnt_reg_t at_cmd_precnt;
	volatile uart_at_cmd_postcnt_reg_t at_cmd_postcnt;
	volatile uart_at_cmd_gaptout_reg_t at_cmd_gaptout;
	volatile uart_at_cmd_char_reg_t at_cmd_char;
	volatile uart_mem_conf_reg_t mem_conf;
	volatile uart_mem_tx_status_reg_t mem_tx_status;
	volatile uart_mem_rx_status_reg_t mem_rx_status;
	volatile uart_fsm_status_reg_t fsm_status;
	volatile uart_pospulse_reg_t pospulse;
	volatile uart_negpulse_reg_t negpulse;
	volatile uart_clk_conf_reg_t clk_conf;
	volatile uart_date_reg_t date;
	volatile uart_id_reg_t id;
} uart_dev_t;

extern uart_dev_t UART0;
extern uart_dev_t UART1;
extern uart_dev_t UART2;

_Static_assert(sizeof(uart_dev_t) == 0x84, "Invalid size of uart_dev_t structure");
