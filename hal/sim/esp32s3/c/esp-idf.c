/*
 * The C side of the virtual ESP32-S3 board: what must be C because the drivers take its address or
 * its layout (the register blocks, the UART signal table, the structures the ESP-IDF and esp_tinyusb
 * calls take), and the entry points through which the peripheral models (the .ts files beside c/) call
 * the drivers' interrupt handlers, alarm callbacks, XS deliveries and TinyUSB class callbacks. Every
 * other function the drivers call is imported from the models, with the signature of the mirrored
 * header (hal/sim/esp32s3/include).
 */
#include <stdint.h>
#include <string.h>
#include "xsmc.h"
#include "xsHost.h"
#include "driver/uart.h"
#include "driver/gptimer.h"
#include "esp_intr_alloc.h"
#include "esp_timer.h"
#include "hal/uart_ll.h"
#include "hal/uart_periph.h"
#include "soc/gpio_struct.h"

#define CFG_TUSB_MCU OPT_MCU_ESP32S3
#include "tinyusb.h"
#include "device/usbd_pvt.h"

/* The register blocks (ESP32-S3 TRM, UART and GPIO chapters). The models keep the words the drivers
 * read directly (uart_dev_t.fsm_status) current; every other access goes through the LL functions. */
uart_dev_t UART0, UART1, UART2;
gpio_dev_t GPIO;

uart_dev_t *sim_uart_dev(int32_t port)
{
	return UART_LL_GET_HW(port);
}

volatile uint32_t *sim_uart_fsm_status(int32_t port)
{
	return &UART_LL_GET_HW(port)->fsm_status.val;
}

/* ESP-IDF v6.0.2 components/esp_hal_uart/esp32s3/uart_periph.c: the matrix signals and interrupt
 * source of each UART (the default IO MUX pins are soc/esp32s3/include/soc/uart_pins.h's). */
#define PIN(gpio, func, in, sig) {.default_gpio = (gpio), .iomux_func = (func), .input = (in), .signal = (sig)}
const uart_signal_conn_t uart_periph_signal[SOC_UART_NUM] = {
	{
		.pins = {
			[SOC_UART_PERIPH_SIGNAL_TX] = PIN(43, 0, 0, U0TXD_OUT_IDX),
			[SOC_UART_PERIPH_SIGNAL_RX] = PIN(44, 0, 1, U0RXD_IN_IDX),
			[SOC_UART_PERIPH_SIGNAL_RTS] = PIN(15, 2, 0, 13),
			[SOC_UART_PERIPH_SIGNAL_CTS] = PIN(16, 2, 1, 13),
			[SOC_UART_PERIPH_SIGNAL_DTR] = PIN(-1, -1, 0, 14),
			[SOC_UART_PERIPH_SIGNAL_DSR] = PIN(-1, -1, 1, 14),
		},
		.irq = ETS_UART0_INTR_SOURCE,
	},
	{
		.pins = {
			[SOC_UART_PERIPH_SIGNAL_TX] = PIN(17, 2, 0, U1TXD_OUT_IDX),
			[SOC_UART_PERIPH_SIGNAL_RX] = PIN(18, 2, 1, U1RXD_IN_IDX),
			[SOC_UART_PERIPH_SIGNAL_RTS] = PIN(19, 2, 0, 16),
			[SOC_UART_PERIPH_SIGNAL_CTS] = PIN(20, 2, 1, 16),
			[SOC_UART_PERIPH_SIGNAL_DTR] = PIN(-1, -1, 0, 17),
			[SOC_UART_PERIPH_SIGNAL_DSR] = PIN(-1, -1, 1, 17),
		},
		.irq = ETS_UART1_INTR_SOURCE,
	},
	{
		.pins = {
			[SOC_UART_PERIPH_SIGNAL_TX] = PIN(-1, -1, 0, U2TXD_OUT_IDX),
			[SOC_UART_PERIPH_SIGNAL_RX] = PIN(-1, -1, 1, U2RXD_IN_IDX),
			[SOC_UART_PERIPH_SIGNAL_RTS] = PIN(-1, -1, 0, 19),
			[SOC_UART_PERIPH_SIGNAL_CTS] = PIN(-1, -1, 1, 19),
			[SOC_UART_PERIPH_SIGNAL_DTR] = PIN(-1, -1, 0, 20),
			[SOC_UART_PERIPH_SIGNAL_DSR] = PIN(-1, -1, 1, 20),
		},
		.irq = ETS_UART2_INTR_SOURCE,
	},
};

/* Imported from the models: the structure-taking calls, flattened. */
extern esp_err_t sim_uart_param_config(int32_t port, int32_t baud, int32_t dataBits, int32_t parity, int32_t stopBits, int32_t flowControl, int32_t sourceClock);
extern int32_t sim_gptimer_new(int32_t clockSource, int32_t direction, uint32_t resolutionHz);
extern esp_err_t sim_gptimer_register(gptimer_handle_t timer, gptimer_alarm_cb_t onAlarm, void *context);
extern esp_err_t sim_gptimer_set_alarm(gptimer_handle_t timer, int32_t enable, uint64_t alarm, uint64_t reload, int32_t autoReload);
extern uint64_t sim_gptimer_count(gptimer_handle_t timer);
extern int32_t sim_intr_alloc(int32_t source, int32_t flags, intr_handler_t handler, void *arg);
extern esp_err_t sim_tinyusb_install(int32_t port, const void *device, const uint8_t *configuration, const char **strings, int32_t stringCount);
extern int32_t sim_esp_timer_new(esp_timer_cb_t callback, void *arg, int32_t dispatch);

esp_err_t uart_param_config(uart_port_t uart_num, const uart_config_t *config)
{
	if (!config)
		return ESP_FAIL;
	return sim_uart_param_config(uart_num, config->baud_rate, config->data_bits, config->parity, config->stop_bits, config->flow_ctrl, config->source_clk);
}

esp_err_t gptimer_new_timer(const gptimer_config_t *config, gptimer_handle_t *ret_timer)
{
	int32_t handle;
	if (!config || !ret_timer)
		return ESP_FAIL;
	handle = sim_gptimer_new(config->clk_src, config->direction, config->resolution_hz);
	if (handle <= 0)
		return ESP_FAIL;
	*ret_timer = (gptimer_handle_t)(uintptr_t)handle;
	return ESP_OK;
}

esp_err_t gptimer_register_event_callbacks(gptimer_handle_t timer, const gptimer_event_callbacks_t *cbs, void *user_data)
{
	return sim_gptimer_register(timer, cbs ? cbs->on_alarm : NULL, user_data);
}

esp_err_t gptimer_set_alarm_action(gptimer_handle_t timer, const gptimer_alarm_config_t *config)
{
	if (!config)
		return sim_gptimer_set_alarm(timer, 0, 0, 0, 0);
	return sim_gptimer_set_alarm(timer, 1, config->alarm_count, config->reload_count, config->flags.auto_reload_on_alarm);
}

esp_err_t gptimer_get_raw_count(gptimer_handle_t timer, uint64_t *value)
{
	if (!value)
		return ESP_FAIL;
	*value = sim_gptimer_count(timer);
	return ESP_OK;
}

esp_err_t esp_intr_alloc(int source, int flags, intr_handler_t handler, void *arg, intr_handle_t *ret_handle)
{
	int32_t handle = sim_intr_alloc(source, flags, handler, arg);
	if (handle <= 0)
		return ESP_FAIL;
	if (ret_handle)
		*ret_handle = (intr_handle_t)(uintptr_t)handle;
	return ESP_OK;
}

esp_err_t esp_timer_create(const esp_timer_create_args_t *create_args, esp_timer_handle_t *out_handle)
{
	int32_t handle;
	if (!create_args || !out_handle)
		return ESP_ERR_INVALID_ARG;
	handle = sim_esp_timer_new(create_args->callback, create_args->arg, create_args->dispatch_method);
	if (handle <= 0)
		return ESP_ERR_INVALID_ARG;
	*out_handle = (esp_timer_handle_t)(uintptr_t)handle;
	return ESP_OK;
}

esp_err_t tinyusb_driver_install(const tinyusb_config_t *config)
{
	if (!config)
		return ESP_FAIL;
	return sim_tinyusb_install(config->port, config->descriptor.device, config->descriptor.full_speed_config,
		config->descriptor.string, config->descriptor.string_count);
}

/* Entry points for the models. */

void sim_call_isr(intr_handler_t handler, void *arg)
{
	handler(arg);
}

int32_t sim_call_alarm(gptimer_alarm_cb_t callback, gptimer_handle_t timer, uint64_t count, uint64_t alarm, void *context)
{
	gptimer_alarm_event_data_t event = {.count_value = count, .alarm_value = alarm};
	return callback(timer, &event, context) ? 1 : 0;
}

void sim_call_esp_timer(esp_timer_cb_t callback, void *arg)
{
	callback(arg);
}

void sim_call_deliver(modMessageDeliver callback, void *the, void *refcon, uint8_t *message, uint16_t length)
{
	callback(the, refcon, message, length);
}

void sim_call_task(osal_task_func_t func, void *param)
{
	func(param);
}

const usbd_class_driver_t *sim_usb_driver(void)
{
	uint8_t count = 0;
	const usbd_class_driver_t *driver = usbd_app_driver_get_cb(&count);
	return count ? driver : NULL;
}

void sim_usb_driver_init(const usbd_class_driver_t *driver)
{
	if (driver->init)
		driver->init();
}

void sim_usb_driver_reset(const usbd_class_driver_t *driver, uint8_t rhport)
{
	if (driver->reset)
		driver->reset(rhport);
}

uint16_t sim_usb_driver_open(const usbd_class_driver_t *driver, uint8_t rhport, const tusb_desc_interface_t *interface, uint16_t maxLength)
{
	return driver->open ? driver->open(rhport, interface, maxLength) : 0;
}

int32_t sim_usb_driver_control(const usbd_class_driver_t *driver, uint8_t rhport, uint8_t stage, const tusb_control_request_t *request)
{
	return (driver->control_xfer_cb && driver->control_xfer_cb(rhport, stage, request)) ? 1 : 0;
}

int32_t sim_usb_driver_transfer(const usbd_class_driver_t *driver, uint8_t rhport, uint8_t endpoint, int32_t result, uint32_t transferred)
{
	return (driver->xfer_cb && driver->xfer_cb(rhport, endpoint, (xfer_result_t)result, transferred)) ? 1 : 0;
}

int32_t sim_usb_driver_name(const usbd_class_driver_t *driver, char *buffer, int32_t size)
{
	int32_t n = 0;
	if (driver->name)
		while (driver->name[n] && (n + 1 < size)) {
			buffer[n] = driver->name[n];
			n++;
		}
	buffer[n] = 0;
	return n;
}
