/*
 * The card I/O line on an ESP32-S3 UART (ISO/IEC 7816-3 §7, §10.2): the native half of
 * hal/moddable/card-uart.ts, character level. The TypeScript half validates options, converts etu
 * to bauds and nanoseconds once and reports errors; this file does what must happen within a
 * character time: moving bytes between the UART FIFOs and two rings, the convention's coding,
 * separating our own echo from the card's characters, the T=0 error signal in both directions, the
 * turnaround before our first character after the card's, and the receive deadlines. The card's
 * characters go to the block-level transfer in progress (card-block.c: whole T=1 blocks and T=0
 * TPDUs), or to the byte ring outside one.
 *
 * What the ESP32-S3 UART gives and what it does not (it has no ISO 7816 / smart-card mode):
 * - 8 data bits, even or odd parity, 1 or 2 stop bits, a fractional baud divider (1/16 step) and an
 *   idle time between transmitted characters (tx_idle_num, in bit times). A character with 2 stop
 *   bits is 12 etu, the T=0 / T=1 minimum guard; tx_idle_num adds the extra guard time N.
 * - One pad can carry TX and RX: the pad is an open-drain output driven by the UART's TX signal and
 *   its input is routed back to the UART's RX signal through the GPIO matrix. The receiver therefore
 *   hears every character we send (the echo); this file matches echoes against what it sent.
 * - No error signal generation: when a card character fails parity, T=0 requires the reader to pull
 *   I/O low at 10.5 ± 0.2 etu for 1 to 2 etu (ISO 7816-3 §7.3). The UART reports the parity error
 *   when it stores the byte, at the stop bit sample (10.5 etu); the interrupt handler then takes the
 *   pad from the UART (GPIO matrix → plain GPIO output low) and an alarm gives it back so that the
 *   pulse lasts 1.5 etu. During the pulse the UART's RX input is tied high so our own pulse is not
 *   received as a character. The pulse starts one interrupt latency after 10.5 etu, so it is only
 *   sent while that latency is within 0.2 etu: the latency is measured on every timer alarm (the
 *   count when the handler runs minus the alarm value; the UART's interrupt goes through the same
 *   interrupt matrix and CPU), from a first alarm right after opening. Where the latency is too long
 *   for the rate, no error signal is sent at all — never one at the wrong time —, the parity error
 *   goes upstream, and TypeScript is told once (kNoticeSignalOff) so that it can say so.
 * - No error signal detection: when the card pulls I/O low during our stop bits, the UART sees it at
 *   best as a framing or parity error on our echo, or as the start of an extra character. After each
 *   T=0 character the handler waits 1.5 etu after the echo and then looks at the echo's status, at
 *   the receiver (busy, or a character in its FIFO: an error signal started a character) and at the
 *   pad: any of them means "repeat", and the same character is sent again once that spurious
 *   character has passed (ISO 7816-3 §7.3: at least 2 etu after the error signal); otherwise the next
 *   character follows after the extra guard time N. The FIFO check keeps this right when interrupts
 *   come late: the spurious character may be complete before the decision runs. When they come so
 *   late that the decision runs past 16 etu after our leading edge, the card's next character (a
 *   procedure byte, §7.2) may be what the receiver holds: the decision then waits for that character
 *   and goes by the time between its report and our echo's (12 etu at most for a character the
 *   error signal started, 16 at least for the card's own), never by the time the check happens to run.
 * - Receive deadlines (WT, CWT, BWT) run on a general-purpose timer counting microseconds; the
 *   UART's own receive timeout only works while bytes stay in its FIFO, which this driver empties at
 *   once to timestamp them.
 * Limits: one character per interrupt is assumed when attributing a parity error to a byte, which
 * holds while the etu is long against the interrupt latency; where it is not, the error signal is
 * off anyway (see above) and a parity error simply becomes a protocol error upstream.
 */

#include "xsmc.h"          /* first: xs.h defines __XS__, which xsHost.h needs to declare the message API */
#include "xsHost.h"
#include "builtinCommon.h"

#include "freertos/FreeRTOS.h"
#include "esp_attr.h"
#include "driver/uart.h"
#include "driver/gpio.h"
#include "driver/gptimer.h"
#include "esp_intr_alloc.h"
#include "esp_rom_gpio.h"
#include "hal/uart_ll.h"
#include "hal/gpio_ll.h"
#include "hal/uart_periph.h"
#include "soc/gpio_sig_map.h"
#include "soc/gpio_pins.h"

#include "card-uart.h"

/* The latency before any alarm has measured it. */
#define kLatencyUnknown UINT32_MAX
/* First alarm after opening, to measure the interrupt latency before the card sends anything. */
#define kCalibrateAfterUs 10
/* T=0, ISO 7816-3 §7.3 / §7.2: a character whose report follows our echo's by less than this was
 * started by the card's error signal (from 10.5 ± 0.2 etu after our leading edge, at most 2 etu long,
 * so started by 12 etu: reported ≤ 12 etu after the echo); the card's own next character starts no
 * earlier than 16 etu after our leading edge (reported ≥ 16 etu after the echo). The two reports
 * come from the same interrupt, so their latencies cancel out; the threshold lies half-way. */
#define kSpuriousWithinEtu 14
/* A post the XS task's queue refused (full) is tried again this much later. */
#define kRetryPostUs 200

/* What the single alarm of the timer is currently for (besides the receive deadline). */
enum {
	kActionNone = 0,
	kActionDecide,     /* T=0: decide, past the error signal window, whether the card signalled */
	kActionSend,       /* T=0: the extra guard time N has passed, send the next character */
	kActionRepeat,     /* T=0: send the same character again */
	kActionRelease     /* T=0: end our error signal, give the pad back to the UART */
};


static void IRAM_ATTR uartInterrupt(void *refcon);
static bool IRAM_ATTR timerAlarm(gptimer_handle_t timer, const gptimer_alarm_event_data_t *event, void *refcon);
static void cardUartDeliver(void *the, void *refcon, uint8_t *message, uint16_t messageLength);
static void IRAM_ATTR decide(CardUart uart, uint64_t now);
static void IRAM_ATTR settle(CardUart uart, uint64_t now, uint8_t signalled);

static uint64_t IRAM_ATTR etuToMicroseconds(CardUart uart, uint32_t etu)
{
	return ((uint64_t)uart->etuNs * etu + 999) / 1000;
}

static uint64_t IRAM_ATTR nowMicroseconds(CardUart uart)
{
	uint64_t count = 0;
	gptimer_get_raw_count(uart->timer, &count);
	return count;
}

static void IRAM_ATTR armAlarm(CardUart uart);

/* Post at most one delivery at a time: the XS side drains everything pending when it runs. A post
 * the queue refuses (full: xsHost.c returns -1) is tried again by an alarm, so that the last
 * character of an answer is not left waiting for the next event. After a post the handler asks for
 * a task switch, because xsHost.c's post does not, and the XS task would otherwise wait for the
 * next tick (1 ms). */
void IRAM_ATTR cardUartPost(CardUart uart, uint8_t error)
{
	uart->errors |= error;
	if (uart->posted)
		return;
	if (0 == modMessagePostToMachineFromISR(uart->the, cardUartDeliver, uart)) {
		uart->posted = 1;
		uart->yield = 1;
		uart->retrying = 0;
	}
	else if (!uart->retrying) {
		uart->retrying = 1;
		uart->retryAt = nowMicroseconds(uart) + kRetryPostUs;
		armAlarm(uart);
	}
}

/* The T=0 error signal can start within 10.5 ± 0.2 etu: the latency (measured in whole µs, so up
 * to 1 µs more) is at most 0.2 etu. */
static uint8_t IRAM_ATTR signalInTime(CardUart uart)
{
	return (kLatencyUnknown != uart->latencyUs) && ((uint64_t)(uart->latencyUs + 1) * 5000 <= uart->etuNs);
}

/* Tell TypeScript once that the error signal is off (it traces it). */
static void IRAM_ATTR noteSignalOff(CardUart uart)
{
	if (uart->errorSignal && !uart->signalOffNoted) {
		uart->signalOffNoted = 1;
		cardUartPost(uart, kNoticeSignalOff);
	}
}

/* Program the one alarm for whichever comes first: the pending action or the receive deadline. */
static void IRAM_ATTR armAlarm(CardUart uart)
{
	uint64_t at = UINT64_MAX, now;
	gptimer_alarm_config_t alarm = {0};

	if (uart->action != kActionNone)
		at = uart->actionAt;
	if (uart->armed && (uart->deadlineAt < at))
		at = uart->deadlineAt;
	if (uart->calibrating && (uart->calibrateAt < at))
		at = uart->calibrateAt;
	if (uart->retrying && (uart->retryAt < at))
		at = uart->retryAt;
	if (UINT64_MAX == at) {
		gptimer_set_alarm_action(uart->timer, NULL);
		return;
	}
	/* An alarm must lie ahead of the counter to fire; a time already passed fires at once. */
	now = nowMicroseconds(uart);
	if (at <= now)
		at = now + 2;
	alarm.alarm_count = at;
	gptimer_set_alarm_action(uart->timer, &alarm);
}

static void IRAM_ATTR schedule(CardUart uart, uint8_t action, uint64_t at)
{
	uart->action = action;
	uart->actionAt = at;
	armAlarm(uart);
}

/* A character's leading edge, from the time its stop bit was reported (≈ 10.5 etu after it; 10 is
 * used so that deadlines counted from the estimate can only be late, never early). */
static void IRAM_ATTR noteEdge(CardUart uart, uint64_t reportedAt, uint32_t deadlineEtu)
{
	uint64_t tenEtu = etuToMicroseconds(uart, 10);
	uart->lastEdge = (reportedAt > tenEtu) ? reportedAt - tenEtu : 0;
	uart->edgeSeen = 1;
	if (uart->armed) {
		if (0 == deadlineEtu)
			uart->armed = 0;
		else
			uart->deadlineAt = uart->lastEdge + etuToMicroseconds(uart, deadlineEtu);
		armAlarm(uart);
	}
}

/* T=1 (and T=0 when nothing is in flight): move waiting bytes into the UART FIFO. In T=0 only one
 * character is ever in flight, so that it can be repeated; in T=1 the FIFO paces them itself, so a
 * block handed over whole leaves without gaps. The first character after the card's waits for the
 * turnaround: ISO 7816-3 §7.2 (T=0: 16 etu between leading edges of characters in opposite
 * directions) and §11.2 (T=1: BGT, 22 etu). The UART has no such rule; without it the reader answers
 * a procedure byte 10.5 etu after its leading edge. A card character still coming in (a stray after
 * its block) is only counted once its stop bit is in: until then the receiver is busy, and the
 * start waits for it. */
void IRAM_ATTR cardUartFeed(CardUart uart)
{
	if ((uart->txTail != uart->txHead) && (uart->echoTail == uart->txTail)) {
		uint64_t now;
		if (uart->action != kActionNone)
			return;
		now = nowMicroseconds(uart);
		if (now < uart->sendNotBefore) {
			schedule(uart, kActionSend, uart->sendNotBefore);
			return;
		}
		if ((0 != uart->hw->fsm_status.st_urx_out) || (0 != uart_ll_get_rxfifo_len(uart->hw))) {
			schedule(uart, kActionSend, now + etuToMicroseconds(uart, 1));
			return;
		}
	}
	if (0 == uart->protocol) {
		if ((uart->echoTail != uart->txTail) || (uart->txTail == uart->txHead) || (uart->action != kActionNone))
			return;
		uart_ll_write_txfifo(uart->hw, &uart->tx[uart->txTail & (kTxSize - 1)], 1);
		uart->sentAt = nowMicroseconds(uart);
		uart->txTail++;
		uart->echoSeen = 0;
		uart->echoError = 0;
		uart->deciding = 0;
		return;
	}
	while (uart->txTail != uart->txHead) {
		if (0 == uart_ll_get_txfifo_len(uart->hw))
			break;
		uart_ll_write_txfifo(uart->hw, &uart->tx[uart->txTail & (kTxSize - 1)], 1);
		uart->txTail++;
	}
	if (uart->echoTail != uart->txTail) {
		/* A TX_DONE of an earlier character is stale now that more are in the FIFO. */
		uart_ll_clr_intsts_mask(uart->hw, UART_INTR_TX_DONE);
		uart_ll_ena_intr_mask(uart->hw, UART_INTR_TX_DONE);
	}
	if (uart->txTail != uart->txHead)
		uart_ll_ena_intr_mask(uart->hw, UART_INTR_TXFIFO_EMPTY);
	else
		uart_ll_disable_intr_mask(uart->hw, UART_INTR_TXFIFO_EMPTY);
}

/* Pull I/O low (T=0 error signal, ISO 7816-3 §7.3) and stop the receiver from hearing it. The
 * release alarm will run one latency late: it is set that much earlier, for a pulse of 1.5 etu. */
static void IRAM_ATTR startErrorSignal(CardUart uart, uint64_t now)
{
	uint64_t width = ((uint64_t)uart->etuNs * 3 / 2 + 500) / 1000;
	uint64_t minimum = etuToMicroseconds(uart, 1);
	gpio_ll_set_level(&GPIO, uart->pin, 0);
	esp_rom_gpio_connect_out_signal(uart->pin, SIG_GPIO_OUT_IDX, false, false);
	esp_rom_gpio_connect_in_signal(GPIO_MATRIX_CONST_ONE_INPUT, UART_PERIPH_SIGNAL(uart->port, SOC_UART_PERIPH_SIGNAL_RX), false);
	width = (width > uart->latencyUs + minimum) ? width - uart->latencyUs : minimum;
	schedule(uart, kActionRelease, now + width);
}

static void IRAM_ATTR endErrorSignal(CardUart uart)
{
	esp_rom_gpio_connect_out_signal(uart->pin, UART_PERIPH_SIGNAL(uart->port, SOC_UART_PERIPH_SIGNAL_TX), false, false);
	esp_rom_gpio_connect_in_signal(uart->pin, UART_PERIPH_SIGNAL(uart->port, SOC_UART_PERIPH_SIGNAL_RX), false);
}

/* A character from the card (not our echo), as the UART framed it (line coding). */
static void IRAM_ATTR receiveCharacter(CardUart uart, uint8_t raw, uint32_t status, uint64_t now)
{
	uint8_t parityError = (status & UART_INTR_PARITY_ERR) ? 1 : 0;
	uint8_t byte;

	/* A low stop bit: not a character (a card holding I/O low reads as 0x00 with good parity). T=0
	 * loses it (and a TPDU in progress ends), T=1 keeps it in place so that the block stays framed;
	 * TS is still awaited. */
	if (status & UART_INTR_FRAM_ERR) {
		cardUartPost(uart, kErrorFraming);
		if ((0 == uart->protocol) || uart->detecting) {
			noteEdge(uart, now, uart->nextEtu);
			if (kTransferT0 == uart->transfer)
				cardBlockEnd(uart, kEndCut);
			return;
		}
		parityError = 0;
	}
	else if (uart->detecting) {
		/* TS (ISO 7816-3 §8.1): 0x3B read directly is the direct convention; the inverse TS 0x3F read
		 * directly is 0x03 with a parity error. From now on the inverse convention uses odd parity,
		 * because its parity bit is sent inverted and its data bits are sent inverted (cardUartCoding
		 * undoes inversion and bit order). */
		uart->detecting = 0;
		if (0x03 == raw) {
			uart->convention = 2;
			uart_ll_set_parity(uart->hw, UART_PARITY_ODD);
			parityError = 0;
		}
		else
			uart->convention = 1;
	}
	else if (parityError && (0 == uart->protocol) && uart->errorSignal && (uart->rxRepeats < uart->repetitions)) {
		if (signalInTime(uart)) {
			uart->rxRepeats++;
			startErrorSignal(uart, now);
			return;
		}
		noteSignalOff(uart);
	}

	noteEdge(uart, now, uart->nextEtu);
	uart->sendNotBefore = uart->lastEdge + etuToMicroseconds(uart, uart->turnaroundEtu);
	uart->rxRepeats = 0;
	if (parityError) {
		cardUartPost(uart, kErrorParity);
		if (0 == uart->protocol) {
			/* T=0: the character is lost, and a TPDU in progress with it; T=1 keeps it so the block
			 * can be framed. */
			if (kTransferT0 == uart->transfer)
				cardBlockEnd(uart, kEndCut);
			return;
		}
	}
	byte = cardUartCoding(uart, raw);
	if ((kTransferNone != uart->transfer) && cardBlockReceive(uart, byte))
		return;
	if ((uint16_t)(uart->rxHead - uart->rxTail) >= kRxSize) {
		cardUartPost(uart, kErrorOverrun);
		return;
	}
	uart->rx[uart->rxHead & (kRxSize - 1)] = byte;
	uart->rxHead++;
	cardUartPost(uart, 0);
}

/* The echo of the oldest character we sent. */
static void IRAM_ATTR receiveEcho(CardUart uart, uint8_t byte, uint32_t status, uint64_t now)
{
	uint8_t sent = uart->tx[uart->echoTail & (kTxSize - 1)];

	if (0 == uart->protocol) {
		if (uart->echoSeen) {
			if (uart->echoError || (now < uart->echoAt + etuToMicroseconds(uart, kSpuriousWithinEtu))) {
				/* A character right after our echo (or after a spoilt one): the card's error signal. */
				uart->echoError = 1;
				if (uart->deciding) {
					/* The decision waited for this character: it is in, so the repetition waits only the
					 * 2 etu of §7.3 (we are past 20 etu after the rejected character's leading edge). */
					uart->deciding = 0;
					settle(uart, now, 1);
					if (kActionRepeat == uart->action)
						schedule(uart, kActionRepeat, now + etuToMicroseconds(uart, 2));
				}
				return;
			}
			/* The card's own next character (§7.2: ≥ 16 etu after our leading edge), taken in before
			 * or while the decision ran late: no error signal came, our character went through. */
			if ((kActionDecide == uart->action) || uart->deciding) {
				uart->deciding = 0;
				uart->action = kActionNone;
				settle(uart, now, 0);
			}
			receiveCharacter(uart, byte, status, now);
			return;
		}
		/* Keep the character until the error signal window (10.5 ± 0.2 etu, 1 to 2 etu long) has
		 * passed: 1.5 etu after the echo the card's signal has either spoilt the echo or started a
		 * spurious character. The extra guard time N only delays the next character (decide()), so
		 * a card answering 16 etu after our last character is never taken for an error signal. */
		noteEdge(uart, now, uart->firstEtu);
		uart->echoSeen = 1;
		uart->echoAt = now;
		uart->echoError = (status & (UART_INTR_PARITY_ERR | UART_INTR_FRAM_ERR)) || (byte != sent);
		schedule(uart, kActionDecide, now + (etuToMicroseconds(uart, 3) / 2));
		return;
	}
	noteEdge(uart, now, uart->firstEtu);
	if ((byte != sent) || (status & UART_INTR_FRAM_ERR))
		cardUartPost(uart, kErrorFraming);      /* someone else drove the line: a collision */
	uart->echoTail++;
	uart->freed = 1;
	cardUartPost(uart, 0);
}

/* T=1: the transmitter is done, so the echo of every character it sent is in (the receiver stores a
 * character at its stop bit, before the transmitter ends it). One that is missing was lost in a
 * collision with the card (two characters heard as one): the ring must not wait for it for ever. */
static void IRAM_ATTR echoesLost(CardUart uart)
{
	if (uart->echoTail == uart->txTail)
		return;
	uart->echoTail = uart->txTail;
	uart->freed = 1;
	cardUartPost(uart, kErrorFraming);
}

static void IRAM_ATTR uartInterrupt(void *refcon)
{
	CardUart uart = refcon;
	uint32_t status = uart_ll_get_intsts_mask(uart->hw);
	uint64_t now = nowMicroseconds(uart);
	uint8_t yield;

	uart_ll_clr_intsts_mask(uart->hw, status);
	portENTER_CRITICAL_ISR(&uart->lock);
	uart->yield = 0;

	if (status & UART_INTR_RXFIFO_OVF)
		cardUartPost(uart, kErrorOverrun);

	while (uart_ll_get_rxfifo_len(uart->hw)) {
		uint8_t byte;
		uart_ll_read_rxfifo(uart->hw, &byte, 1);
		if (uart->discarding)
			continue;
		if (uart->echoTail != uart->txTail)
			receiveEcho(uart, byte, status, now);
		else
			receiveCharacter(uart, byte, status, now);
	}

	if ((status & UART_INTR_TX_DONE) && (1 == uart->protocol)) {
		uart_ll_disable_intr_mask(uart->hw, UART_INTR_TX_DONE);
		echoesLost(uart);
	}
	if (status & UART_INTR_TXFIFO_EMPTY)
		cardUartFeed(uart);

	yield = uart->yield;
	portEXIT_CRITICAL_ISR(&uart->lock);
	if (yield)
		portYIELD_FROM_ISR();
}

/* A busy receiver after our stop bits, or a character it already stored, means the card's error
 * signal started a character; a low pad is the signal itself — as long as the decision runs before
 * the card's own next character may start, 16 etu after our leading edge (§7.2; the time we wrote
 * the character into the FIFO is no later than that edge). A decision that runs later, because
 * interrupts came late, cannot tell the two from the receiver's state: it waits for the character
 * the receiver is taking in, and receiveEcho tells them apart by its time (kSpuriousWithinEtu). A
 * spoilt echo needs no wait: the echo's stop bit is sampled before any character of the card's. */
static void IRAM_ATTR decide(CardUart uart, uint64_t now)
{
	uint8_t taking = (0 != uart->hw->fsm_status.st_urx_out) || (0 != uart_ll_get_rxfifo_len(uart->hw));
	uint64_t turnaround = ((uint64_t)uart->etuNs * uart->turnaroundEtu) / 1000;

	if (!uart->echoError && taking && (now + 1 >= uart->sentAt + turnaround)) {
		/* Looked at again once that character must have been reported, in case it never is (a
		 * glitch shorter than half a bit is no character). */
		uart->deciding = 1;
		schedule(uart, kActionDecide, now + etuToMicroseconds(uart, 11));
		return;
	}
	settle(uart, now, uart->echoError || taking || (0 == gpio_ll_get_level(&GPIO, uart->pin)));
}

/* The decision is made: repeat our character, or give up on it, or go on with the next. */
static void IRAM_ATTR settle(CardUart uart, uint64_t now, uint8_t signalled)
{
	if (signalled && (uart->txRepeats < uart->repetitions)) {
		uart->txRepeats++;
		uart->discarding = 1;
		/* Wait out the spurious character (≤ 11 etu from here) plus the 2 etu of §7.3. */
		schedule(uart, kActionRepeat, now + etuToMicroseconds(uart, 13));
		return;
	}
	if (signalled) {
		cardUartPost(uart, kErrorParity);
		if (kTransferT0 == uart->transfer) {
			/* The card kept rejecting our character: the TPDU ends, its other characters stay unsent. */
			uart->txHead = uart->txTail;
			cardBlockEnd(uart, kEndCut);
		}
	}
	uart->txRepeats = 0;
	uart->echoTail++;
	uart->freed = 1;
	cardUartPost(uart, 0);
	if (uart->extraGuardEtu && (uart->txTail != uart->txHead)) {
		schedule(uart, kActionSend, now + etuToMicroseconds(uart, uart->extraGuardEtu));
		return;
	}
	uart->action = kActionNone;
	armAlarm(uart);
	cardUartFeed(uart);
}

static bool IRAM_ATTR timerAlarm(gptimer_handle_t timer, const gptimer_alarm_event_data_t *event, void *refcon)
{
	CardUart uart = refcon;
	uint64_t now = event->count_value;
	uint32_t latency = (event->count_value > event->alarm_value) ? (uint32_t)(event->count_value - event->alarm_value) : 0;
	uint8_t yield;
	(void)timer;

	portENTER_CRITICAL_ISR(&uart->lock);
	uart->yield = 0;
	if ((kLatencyUnknown == uart->latencyUs) || (latency > uart->latencyUs))
		uart->latencyUs = latency;
	if (uart->calibrating && (uart->calibrateAt <= now)) {
		uart->calibrating = 0;
		if (!signalInTime(uart))
			noteSignalOff(uart);
	}
	if ((uart->action != kActionNone) && (uart->actionAt <= now)) {
		uint8_t action = uart->action;
		uart->action = kActionNone;
		if (kActionDecide == action)
			decide(uart, now);
		else if (kActionSend == action)
			cardUartFeed(uart);
		else if (kActionRepeat == action) {
			uart->discarding = 0;
			uart_ll_rxfifo_rst(uart->hw);
			uart_ll_write_txfifo(uart->hw, &uart->tx[uart->echoTail & (kTxSize - 1)], 1);
			uart->sentAt = now;
			uart->echoSeen = 0;
			uart->echoError = 0;
		}
		else if (kActionRelease == action) {
			endErrorSignal(uart);
			cardUartFeed(uart);
		}
	}
	if (uart->armed && (uart->deadlineAt <= now)) {
		uart->armed = 0;
		/* BWT, CWT or WT passed: the transfer in progress ends with what came. */
		if (kTransferNone != uart->transfer)
			cardBlockEnd(uart, kEndCut);
		cardUartPost(uart, kErrorTimeout);
	}
	if (uart->retrying && (uart->retryAt <= now)) {
		uart->retrying = 0;
		cardUartPost(uart, 0);
	}
	armAlarm(uart);
	yield = uart->yield;
	portEXIT_CRITICAL_ISR(&uart->lock);
	return yield;      /* true: ESP-IDF's GPTimer ISR switches to the XS task on return */
}

/* Runs in the XS task: hand everything pending to TypeScript in one call. */
static void cardUartDeliver(void *theIn, void *refcon, uint8_t *message, uint16_t messageLength)
{
	xsMachine *the = theIn;
	CardUart uart = refcon;
	uint8_t errors;
	uint16_t readable, writable;
	(void)message;
	(void)messageLength;

	if (uart->closing) {
		c_free(uart);
		return;
	}
	portENTER_CRITICAL(&uart->lock);
	errors = uart->errors;
	uart->errors = 0;
	uart->posted = 0;
	readable = uart->rxHead - uart->rxTail;
	if (uart->blockReady && (kEndCut != uart->blockEnd))
		readable += uart->blockCount;
	writable = uart->freed ? (kTxSize - 1) - (uint16_t)(uart->txHead - uart->echoTail) : 0;
	uart->freed = 0;
	portEXIT_CRITICAL(&uart->lock);

	xsBeginHost(the);
		xsCallFunction3(uart->callback, uart->obj, xsInteger(readable), xsInteger(writable), xsInteger(errors));
	xsEndHost(the);
}

/* Stops the hardware first, so nothing can post any more; then frees the record unless a delivery
 * is still queued for it, in which case that delivery frees it without calling TypeScript. */
static void cardUartRelease(CardUart uart)
{
	if (uart->interrupt) {
		uart_ll_disable_intr_mask(uart->hw, UART_LL_INTR_MASK);
		esp_intr_free(uart->interrupt);
	}
	if (uart->timer) {
		gptimer_stop(uart->timer);
		gptimer_disable(uart->timer);
		gptimer_del_timer(uart->timer);
	}
	/* Released, not driven: the interface chip (or the pull-up to the card's VCC) holds the line, and
	 * a low level here would look like a start bit to the card while the UART reopens at a new rate. */
	gpio_reset_pin(uart->pin);
	gpio_set_pull_mode(uart->pin, GPIO_FLOATING);
	builtinFreePin(uart->pin);
	if (uart->posted)
		uart->closing = 1;
	else
		c_free(uart);
}

void xs_carduart_destructor(void *data)
{
	if (data)
		cardUartRelease(data);
}

/*
 * new CardUartPort(port, pin, baud, etuNs, stopBits, extraGuardEtu, protocol, repetitions,
 *                  errorSignal, convention, edc, callback)
 * convention: 0 detect (start direct, even parity), 1 direct (even parity), 2 inverse (odd parity).
 * edc: the T=1 epilogue, kEdc* (card-uart.h). All values were validated by the TypeScript side.
 */
void xs_carduart(xsMachine *the)
{
	CardUart uart;
	uart_config_t config = {0};
	gptimer_config_t timerConfig = {0};
	gptimer_event_callbacks_t callbacks = {0};
	int port = xsmcToInteger(xsArg(0));
	int pin = xsmcToInteger(xsArg(1));
	int stopBits = xsmcToInteger(xsArg(4));
	int convention = xsmcToInteger(xsArg(9));

	if ((port < 1) || (port >= UART_NUM_MAX))
		xsRangeError("invalid port");      /* UART0 carries the console and the debugger */
	if (!builtinIsPinFree(pin))
		xsUnknownError("in use");
	if (uart_is_driver_installed(port))
		xsUnknownError("port in use");

	uart = c_calloc(1, sizeof(CardUartRecord));
	if (!uart)
		xsUnknownError("no memory");
	uart->the = the;
	uart->obj = xsThis;
	uart->callback = xsArg(11);
	uart->port = port;
	uart->hw = UART_LL_GET_HW(port);
	uart->pin = pin;
	uart->etuNs = (uint32_t)xsmcToNumber(xsArg(3));
	uart->extraGuardEtu = (uint8_t)xsmcToInteger(xsArg(5));
	uart->protocol = (uint8_t)xsmcToInteger(xsArg(6));
	uart->turnaroundEtu = (0 == uart->protocol) ? 16 : 22;
	uart->repetitions = (uint8_t)xsmcToInteger(xsArg(7));
	uart->errorSignal = (xsmcTest(xsArg(8)) && (0 == uart->protocol) && uart->repetitions) ? 1 : 0;
	uart->latencyUs = kLatencyUnknown;
	uart->detecting = (0 == convention) ? 1 : 0;
	uart->convention = (uint8_t)convention;
	uart->edc = (uint8_t)xsmcToInteger(xsArg(10));
	portMUX_INITIALIZE(&uart->lock);
	builtinUsePin(pin);
	xsmcSetHostData(xsThis, uart);

	config.baud_rate = xsmcToInteger(xsArg(2));
	config.data_bits = UART_DATA_8_BITS;
	config.parity = (2 == convention) ? UART_PARITY_ODD : UART_PARITY_EVEN;
	config.stop_bits = (1 == stopBits) ? UART_STOP_BITS_1 : UART_STOP_BITS_2;
	config.flow_ctrl = UART_HW_FLOWCTRL_DISABLE;
	config.source_clk = UART_SCLK_APB;     /* the same 80 MHz the LEDC card clock divides */
	if ((ESP_OK != uart_param_config(port, &config)) ||
		(ESP_OK != uart_set_tx_idle_num(port, (0 == uart->protocol) ? 0 : uart->extraGuardEtu)) ||
		(ESP_OK != uart_set_pin(port, pin, pin, UART_PIN_NO_CHANGE, UART_PIN_NO_CHANGE)))
		xsUnknownError("uart config failed");

	/* One open-drain pad: the UART drives it low or releases it, the interface chip (or a pull-up on
	 * the card's VCC) pulls it high, and the receiver listens to the pad itself. gpio_set_direction
	 * routes the GPIO output register to the pad until endErrorSignal() gives it back to the UART:
	 * that register is set high first, or the pad would pull I/O low meanwhile, a start bit for a
	 * card that listens (the UART reopens at each rate change, with the card active). */
	gpio_ll_set_level(&GPIO, pin, 1);
	gpio_set_direction(pin, GPIO_MODE_INPUT_OUTPUT_OD);
	gpio_set_pull_mode(pin, GPIO_PULLUP_ONLY);
	endErrorSignal(uart);

	timerConfig.clk_src = GPTIMER_CLK_SRC_DEFAULT;
	timerConfig.direction = GPTIMER_COUNT_UP;
	timerConfig.resolution_hz = 1000000;
	callbacks.on_alarm = timerAlarm;
	if ((ESP_OK != gptimer_new_timer(&timerConfig, &uart->timer)) ||
		(ESP_OK != gptimer_register_event_callbacks(uart->timer, &callbacks, uart)) ||
		(ESP_OK != gptimer_enable(uart->timer)) ||
		(ESP_OK != gptimer_start(uart->timer)))
		xsUnknownError("timer failed");
	uart->calibrating = 1;
	uart->calibrateAt = nowMicroseconds(uart) + kCalibrateAfterUs;
	armAlarm(uart);

	uart_ll_rxfifo_rst(uart->hw);
	uart_ll_txfifo_rst(uart->hw);
	uart_ll_set_rxfifo_full_thr(uart->hw, 1);      /* one interrupt per character: timestamps */
	uart_ll_set_txfifo_empty_thr(uart->hw, 4);
	uart_ll_clr_intsts_mask(uart->hw, UART_LL_INTR_MASK);
	if (ESP_OK != esp_intr_alloc(uart_periph_signal[port].irq, ESP_INTR_FLAG_IRAM, uartInterrupt, uart, &uart->interrupt))
		xsUnknownError("interrupt failed");
	uart_ll_ena_intr_mask(uart->hw, UART_INTR_RXFIFO_FULL | UART_INTR_PARITY_ERR | UART_INTR_FRAM_ERR | UART_INTR_RXFIFO_OVF);

	xsRemember(uart->obj);
	xsRemember(uart->callback);
}

void xs_carduart_close(xsMachine *the)
{
	CardUart uart = xsmcGetHostData(xsThis);
	if (!uart || !xsmcGetHostDataValidate(xsThis, xs_carduart_destructor))
		return;
	xsForget(uart->callback);
	xsForget(uart->obj);
	xsmcSetHostData(xsThis, NULL);
	cardUartRelease(uart);
}

CardUart cardUartOpen(xsMachine *the)
{
	CardUart uart = xsmcGetHostDataValidate(xsThis, xs_carduart_destructor);
	if (!uart)
		xsUnknownError("closed");
	return uart;
}

/* The convention's coding, both ways (see card-uart.h). */
uint8_t IRAM_ATTR cardUartCoding(CardUart uart, uint8_t byte)
{
	if (2 != uart->convention)
		return byte;
	byte = ~byte;
	byte = (uint8_t)((byte >> 4) | (byte << 4));
	byte = (uint8_t)(((byte & 0xCC) >> 2) | ((byte & 0x33) << 2));
	return (uint8_t)(((byte & 0xAA) >> 1) | ((byte & 0x55) << 1));
}

/* read() → the next card byte outside a transfer (convention decoded), or undefined. */
void xs_carduart_read(xsMachine *the)
{
	CardUart uart = cardUartOpen(the);
	if (uart->rxHead == uart->rxTail)
		return;
	xsmcSetInteger(xsResult, uart->rx[uart->rxTail & (kRxSize - 1)]);
	uart->rxTail++;
}

/* write(byte) → false when the ring is full (TypeScript throws, per ECMA-419). */
void xs_carduart_write(xsMachine *the)
{
	CardUart uart = cardUartOpen(the);
	uint8_t byte = (uint8_t)xsmcToInteger(xsArg(0));

	portENTER_CRITICAL(&uart->lock);
	if ((uint16_t)(uart->txHead - uart->echoTail) >= (kTxSize - 1)) {
		portEXIT_CRITICAL(&uart->lock);
		xsmcSetFalse(xsResult);
		return;
	}
	uart->tx[uart->txHead & (kTxSize - 1)] = cardUartCoding(uart, byte);
	uart->txHead++;
	cardUartFeed(uart);
	portEXIT_CRITICAL(&uart->lock);
	xsmcSetTrue(xsResult);
}

void xs_carduart_get_writable(xsMachine *the)
{
	CardUart uart = cardUartOpen(the);
	xsmcSetInteger(xsResult, (kTxSize - 1) - (uint16_t)(uart->txHead - uart->echoTail));
}

/* The longest interrupt latency measured since opening, in µs (-1 before the first alarm). */
void xs_carduart_get_latency(xsMachine *the)
{
	CardUart uart = cardUartOpen(the);
	xsmcSetInteger(xsResult, (kLatencyUnknown == uart->latencyUs) ? -1 : (int32_t)uart->latencyUs);
}

/* 0 while TS is awaited, then 1 direct or 2 inverse (see receiveCharacter). */
void xs_carduart_get_convention(xsMachine *the)
{
	CardUart uart = cardUartOpen(the);
	xsmcSetInteger(xsResult, uart->convention);
}

/* Arm (or, with 0 and 0, disarm) the receive deadlines; inside the lock. */
void cardUartArmDeadlines(CardUart uart, uint32_t first, uint32_t next)
{
	uint64_t now = nowMicroseconds(uart);
	uart->firstEtu = first;
	uart->nextEtu = next;
	if ((0 == first) && (0 == next))
		uart->armed = 0;
	else if (uart->txHead != uart->echoTail) {
		/* Our own characters are still to go out: the deadline counts from the echo of the last of
		 * them (noteEdge re-arms at every echo), not from a character already past. */
		uart->armed = 1;
		uart->deadlineAt = UINT64_MAX;
	}
	else {
		/* Counted from the last character on the line; if there was none since opening, or that would
		 * already have expired, the line has been idle and it counts from now. */
		uint64_t span = etuToMicroseconds(uart, first ? first : next);
		uint64_t base = (uart->edgeSeen && (uart->lastEdge + span > now)) ? uart->lastEdge : now;
		uart->armed = 1;
		uart->deadlineAt = base + span;
	}
	armAlarm(uart);
}

/* setDeadlines(firstEtu, nextEtu): see CardUart.setDeadlines in hal/interfaces/card-uart.ts. */
void xs_carduart_set_deadlines(xsMachine *the)
{
	CardUart uart = cardUartOpen(the);
	uint32_t first = (uint32_t)xsmcToNumber(xsArg(0));
	uint32_t next = (uint32_t)xsmcToNumber(xsArg(1));

	portENTER_CRITICAL(&uart->lock);
	cardUartArmDeadlines(uart, first, next);
	portEXIT_CRITICAL(&uart->lock);
}

/* flush(): drop unread input and unsent output, and the block-level transfer in progress; a
 * character already in the UART still finishes. */
void xs_carduart_flush(xsMachine *the)
{
	CardUart uart = cardUartOpen(the);

	portENTER_CRITICAL(&uart->lock);
	uart->rxTail = uart->rxHead;
	uart->txHead = uart->txTail;
	cardBlockAbandon(uart);
	portEXIT_CRITICAL(&uart->lock);
}
