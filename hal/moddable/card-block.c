/*
 * The card I/O line's block level on the ESP32-S3 (hal/interfaces/card-uart.ts `writeBlock`,
 * `writeTpdu`, `readBlock`): XS hands over a whole T=1 block or T=0 command TPDU and gets back the
 * card's whole block or the TPDU's response with one delivery, so no work per byte is left in XS
 * and how fast XS runs never shows on the line. The characters themselves are card-uart.c's; this
 * file frames them:
 * - T=1 (ISO/IEC 7816-3 §11.3, §11.4): our block goes into the transmit ring whole, its EDC appended
 *   (§11.4.4), so the UART sends it without gaps once BGT has passed; the card's block is framed by
 *   its LEN and its EDC checked when XS reads it. Characters before our block is out are strays.
 * - T=0 (§10.3): the header goes out; the card's procedure bytes (§10.3.3) are obeyed in the
 *   interrupt handler, where their timing is: NULL restarts WT (noteEdge) and is noticed to XS, INS
 *   queues all the remaining data or receives it, INS ⊕ FF one byte; SW1 SW2 end the TPDU. A byte
 *   that is none of these, or a byte while our part is still going out, ends it as a conflict.
 * The receive deadlines are the transfer's own (BWT and CWT, or WT), armed when it starts and
 * disarmed when it ends; the functions below that the handlers call run inside the record's lock.
 */

#include "xsmc.h"          /* first: xs.h defines __XS__, which xsHost.h needs to declare the message API */
#include "xsHost.h"

#include <string.h>

#include "freertos/FreeRTOS.h"
#include "esp_attr.h"
#include "driver/uart.h"
#include "driver/gptimer.h"
#include "esp_intr_alloc.h"
#include "hal/uart_ll.h"

#include "card-uart.h"

/* §10.3.3 procedure byte NULL. */
#define kNull 0x60

/* Epilogue bytes (§11.4.4). */
static uint16_t IRAM_ATTR edcBytes(CardUart uart)
{
	return (kEdcLrc == uart->edc) ? 1 : 2;
}

/* The CRC register over bytes [0, count): reflected CCITT polynomial (0x8408), preset 0xFFFF, no
 * final complement (ISO/IEC 13239 before its complement; libccid sends this register). Bitwise: it
 * runs in the XS task, once per block, never in an interrupt handler. */
static uint16_t crc16(const uint8_t *bytes, uint16_t count)
{
	uint16_t v = 0xFFFF;
	for (uint16_t i = 0; i < count; i++) {
		v ^= bytes[i];
		for (int k = 0; k < 8; k++)
			v = (v & 1) ? (uint16_t)((v >> 1) ^ 0x8408) : (uint16_t)(v >> 1);
	}
	return v;
}

/* The epilogue of bytes [0, count) into edc[]; returns its length. */
static uint16_t epilogue(uint8_t kind, const uint8_t *bytes, uint16_t count, uint8_t *edc)
{
	if (kEdcLrc == kind) {
		uint8_t v = 0;
		for (uint16_t i = 0; i < count; i++)
			v ^= bytes[i];
		edc[0] = v;
		return 1;
	}
	uint16_t v = crc16(bytes, count);
	if (kEdcCrc == kind) {
		edc[0] = (uint8_t)(v >> 8);
		edc[1] = (uint8_t)v;
	}
	else {
		v = (uint16_t)~v;
		edc[0] = (uint8_t)v;
		edc[1] = (uint8_t)(v >> 8);
	}
	return 2;
}

/* Queue logical bytes for sending, coded for the line; the caller checked the room. */
static void IRAM_ATTR queue(CardUart uart, const uint8_t *bytes, uint16_t count)
{
	for (uint16_t i = 0; i < count; i++)
		uart->tx[uart->txHead++ & (kTxSize - 1)] = cardUartCoding(uart, bytes[i]);
}

static void IRAM_ATTR keep(CardUart uart, uint8_t byte)
{
	if (uart->blockCount < kBlockSize)
		uart->block[uart->blockCount] = byte;
	uart->blockCount++;
}

/* The transfer is over: its result waits for readBlock, its deadlines end. A result (not a cut:
 * the error that cut it is what XS hears) is delivered. */
void IRAM_ATTR cardBlockEnd(CardUart uart, uint8_t end)
{
	uart->blockT1 = (kTransferT1 == uart->transfer);
	uart->transfer = kTransferNone;
	uart->blockEnd = end;
	uart->blockReady = 1;
	uart->armed = 0;
	if (kEndCut != end)
		cardUartPost(uart, 0);
}

void IRAM_ATTR cardBlockAbandon(CardUart uart)
{
	if (kTransferNone != uart->transfer)
		uart->armed = 0;
	uart->transfer = kTransferNone;
	uart->blockReady = 0;
}

/* T=0, §10.3.3: the card's byte where a procedure byte (or SW1) is due. */
static void IRAM_ATTR procedure(CardUart uart, uint8_t byte)
{
	uint16_t count;
	uint8_t high = byte & 0xF0;
	uint8_t complement = (uint8_t)(uart->ins ^ 0xFF);

	if (uart->txHead != uart->echoTail) {
		/* The card spoke before the reader finished its part. */
		keep(uart, byte);
		cardBlockEnd(uart, kEndConflict);
		return;
	}
	if (kNull == byte) {
		cardUartPost(uart, kNoticeWaiting);
		return;
	}
	if ((0x60 == high) || (0x90 == high)) {
		uart->sw1 = byte;
		uart->t0State = kT0Sw2;
		return;
	}
	if ((byte != uart->ins) && (byte != complement)) {
		keep(uart, byte);
		cardBlockEnd(uart, kEndConflict);
		return;
	}
	/* An acknowledgement with nothing left to move only restarts the wait for the next procedure byte. */
	if (0 == uart->remaining)
		return;
	count = (byte == uart->ins) ? uart->remaining : 1;
	if (!uart->out) {
		uart->step = count;
		uart->t0State = kT0Receiving;
		return;
	}
	uart->remaining -= count;
	queue(uart, &uart->command[uart->commandPos], count);
	uart->commandPos += count;
	cardUartFeed(uart);
}

/* A card character (logical value) while a transfer is in progress; 0 when it is not the
 * transfer's (a T=1 stray from before our block: byte level). */
uint8_t IRAM_ATTR cardBlockReceive(CardUart uart, uint8_t byte)
{
	if (kTransferT1 == uart->transfer) {
		if (uart->txHead != uart->echoTail)
			return 0;
		keep(uart, byte);
		if (3 == uart->blockCount)
			uart->blockExpected = 3 + byte + edcBytes(uart);
		if (uart->blockCount == uart->blockExpected)
			cardBlockEnd(uart, kEndComplete);      /* the EDC is checked when XS reads it */
		return 1;
	}
	switch (uart->t0State) {
	case kT0Procedure:
		procedure(uart, byte);
		break;
	case kT0Receiving:
		keep(uart, byte);
		uart->remaining--;
		if (0 == --uart->step)
			uart->t0State = kT0Procedure;
		break;
	default:
		keep(uart, uart->sw1);
		keep(uart, byte);
		cardBlockEnd(uart, kEndComplete);
		break;
	}
	return 1;
}

/* Room in the transmit ring, inside the lock. */
static uint16_t room(CardUart uart)
{
	return (kTxSize - 1) - (uint16_t)(uart->txHead - uart->echoTail);
}

/* writeBlock(block, length, addEdc, waitEtu, characterEtu): see CardUart.writeBlock. */
void xs_carduart_write_block(xsMachine *the)
{
	CardUart uart = cardUartOpen(the);
	uint8_t *data;
	xsUnsignedValue size;
	int length = xsmcToInteger(xsArg(1));
	uint8_t addEdc = xsmcTest(xsArg(2)) ? 1 : 0;
	uint32_t wait = (uint32_t)xsmcToNumber(xsArg(3));
	uint32_t character = (uint32_t)xsmcToNumber(xsArg(4));
	uint8_t edc[2];
	uint16_t edcLength = 0;

	xsmcGetBufferReadable(xsArg(0), (void **)&data, &size);
	if ((length < 0) || ((xsUnsignedValue)length > size) || (length + (addEdc ? edcBytes(uart) : 0) > kBlockSize))
		xsRangeError("block too long");
	if (addEdc)
		edcLength = epilogue(uart->edc, data, (uint16_t)length, edc);

	portENTER_CRITICAL(&uart->lock);
	if (room(uart) < length + edcLength) {
		portEXIT_CRITICAL(&uart->lock);
		xsUnknownError("output full");
	}
	cardBlockAbandon(uart);
	/* The whole block is queued before the first character may start: no gap XS could open. */
	queue(uart, data, (uint16_t)length);
	queue(uart, edc, edcLength);
	if (wait) {
		uart->transfer = kTransferT1;
		uart->blockCount = 0;
		uart->blockExpected = 0;
		cardUartArmDeadlines(uart, wait, character);
	}
	cardUartFeed(uart);
	portEXIT_CRITICAL(&uart->lock);
}

/* writeTpdu(command, length, expected, waitEtu): see CardUart.writeTpdu. */
void xs_carduart_write_tpdu(xsMachine *the)
{
	CardUart uart = cardUartOpen(the);
	uint8_t *data;
	xsUnsignedValue size;
	int length = xsmcToInteger(xsArg(1));
	int expected = xsmcToInteger(xsArg(2));
	uint32_t wait = (uint32_t)xsmcToNumber(xsArg(3));

	xsmcGetBufferReadable(xsArg(0), (void **)&data, &size);
	if ((length < 5) || ((xsUnsignedValue)length > size) || (length > kBlockSize) || (expected < 0) || (expected > 256) || ((length > 5) && expected))
		xsRangeError("not a T=0 command TPDU");

	portENTER_CRITICAL(&uart->lock);
	if (room(uart) < length) {
		portEXIT_CRITICAL(&uart->lock);
		xsUnknownError("output full");
	}
	cardBlockAbandon(uart);
	memcpy(uart->command, data, (size_t)length);
	uart->ins = data[1];
	uart->out = (length > 5) ? 1 : 0;
	uart->remaining = (uint16_t)(uart->out ? length - 5 : expected);
	uart->commandPos = 5;
	uart->t0State = kT0Procedure;
	uart->blockCount = 0;
	uart->transfer = kTransferT0;
	queue(uart, data, 5);
	cardUartArmDeadlines(uart, wait, wait);
	cardUartFeed(uart);
	portEXIT_CRITICAL(&uart->lock);
}

/* readBlock(into, offset) → the length of the result (what fits is copied), 0 when none. */
void xs_carduart_read_block(xsMachine *the)
{
	CardUart uart = cardUartOpen(the);
	uint8_t *data;
	xsUnsignedValue size;
	int offset = xsmcToInteger(xsArg(1));
	uint16_t count;
	uint8_t edc[2];

	if (!uart->blockReady) {
		xsmcSetInteger(xsResult, 0);
		return;
	}
	xsmcGetBufferWritable(xsArg(0), (void **)&data, &size);
	portENTER_CRITICAL(&uart->lock);
	uart->blockReady = 0;
	count = (uart->blockCount < kBlockSize) ? uart->blockCount : kBlockSize;
	portEXIT_CRITICAL(&uart->lock);
	/* No transfer writes the block until XS starts the next one. */
	if ((offset >= 0) && ((xsUnsignedValue)offset < size))
		memcpy(data + offset, uart->block, ((xsUnsignedValue)count <= size - offset) ? count : size - offset);
	if (uart->blockT1 && (kEndComplete == uart->blockEnd)) {
		uint16_t n = edcBytes(uart);
		epilogue(uart->edc, uart->block, (uint16_t)(count - n), edc);
		if ((edc[0] != uart->block[count - n]) || ((2 == n) && (edc[1] != uart->block[count - 1])))
			uart->blockEnd = kEndBadEdc;
	}
	xsmcSetInteger(xsResult, uart->blockCount);
}

/* blockEnd → kEnd* of the result read last. */
void xs_carduart_get_block_end(xsMachine *the)
{
	CardUart uart = cardUartOpen(the);
	xsmcSetInteger(xsResult, uart->blockEnd);
}
