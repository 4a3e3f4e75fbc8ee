/* ESP-IDF v6.0.2 components/soc/esp32s3/include/soc/clk_tree_defs.h (the clock sources the UART and
 * the GPTimer take). */
#pragma once

typedef enum {
	SOC_MOD_CLK_CPU = 1,
	SOC_MOD_CLK_RTC_FAST,
	SOC_MOD_CLK_RTC_SLOW,
	SOC_MOD_CLK_APB,
	SOC_MOD_CLK_PLL_F80M,
	SOC_MOD_CLK_PLL_F160M,
	SOC_MOD_CLK_PLL_D2,
	SOC_MOD_CLK_XTAL32K,
	SOC_MOD_CLK_RC_FAST,
	SOC_MOD_CLK_RC_FAST_D256,
	SOC_MOD_CLK_XTAL,
	SOC_MOD_CLK_TEMP_SENSOR,
	SOC_MOD_CLK_INVALID,
} soc_module_clk_t;

typedef enum {
	GPTIMER_CLK_SRC_APB = SOC_MOD_CLK_APB,
	GPTIMER_CLK_SRC_XTAL = SOC_MOD_CLK_XTAL,
	GPTIMER_CLK_SRC_DEFAULT = SOC_MOD_CLK_APB,
} soc_periph_gptimer_clk_src_t;

typedef enum {
	UART_SCLK_APB = SOC_MOD_CLK_APB,
	UART_SCLK_RTC = SOC_MOD_CLK_RC_FAST,
	UART_SCLK_XTAL = SOC_MOD_CLK_XTAL,
	UART_SCLK_DEFAULT = SOC_MOD_CLK_APB,
} soc_periph_uart_clk_src_legacy_t;
