/*
 * The card UART's record, shared by its character level (card-uart.c: FIFOs, echo, error signal,
 * deadlines, the byte-level XS bindings) and its block level (card-block.c: whole T=1 blocks and
 * T=0 TPDUs, ISO/IEC 7816-3 §10.3, §11.3, §11.4). Include after xsmc.h and the ESP-IDF headers.
 */
#ifndef CARD_UART_H
#define CARD_UART_H

/* Ring sizes: a power of two, so head - tail works across wrap-around with 16-bit indices. The
 * receive ring holds a whole T=1 block (3 + 254 + 2) plus margin; the transmit ring the same. */
#define kRxSize 512
#define kTxSize 512
/* The largest block-level transfer either way: a T=1 block with LEN 255 and a CRC (§11.3); a T=0
 * command TPDU of 5 + 255 bytes, or its response of 256 data bytes and SW1 SW2. */
#define kBlockSize 260

/* Bits posted to TypeScript, in the order they are reported there (card-uart.ts DELIVERY_BITS). */
#define kErrorParity   0x01
#define kErrorOverrun  0x02
#define kErrorFraming  0x04
#define kErrorTimeout  0x08
/* Not an error: the T=0 error signal is off for this rate because the interrupt latency is too long. */
#define kNoticeSignalOff 0x10
/* Not an error: the card sent NULL during a T=0 TPDU (§10.3.3); WT restarted. */
#define kNoticeWaiting 0x20

/* The block-level transfer in progress. */
enum {
	kTransferNone = 0,
	kTransferT1,       /* our block goes out, then the card's comes in (framed by its LEN) */
	kTransferT0        /* a command TPDU, paced by the card's procedure bytes */
};

/* T=0: what the next character of the card is. */
enum {
	kT0Procedure = 0,  /* a procedure byte, or SW1 (§10.3.3) */
	kT0Receiving,      /* data for the reader */
	kT0Sw2
};

/* How the block or response that readBlock returns ended (card-uart.ts BLOCK_ENDS). */
enum {
	kEndComplete = 0,
	kEndBadEdc,
	kEndConflict,
	kEndCut
};

/* The T=1 epilogue (card-uart.ts EDC_CODES): LRC; CRC as libccid sends it; CRC as ISO/IEC 13239 frames it. */
enum {
	kEdcLrc = 0,
	kEdcCrc,
	kEdcCrc13239
};

typedef struct CardUartRecord {
	xsSlot obj;
	xsSlot callback;
	xsMachine *the;

	uart_port_t port;
	uart_dev_t *hw;
	int pin;
	intr_handle_t interrupt;
	gptimer_handle_t timer;
	portMUX_TYPE lock;

	uint32_t etuNs;
	uint8_t protocol;
	uint8_t repetitions;
	uint8_t errorSignal;     /* T=0 with repetitions: send the error signal when it can be in time */
	uint8_t signalOffNoted;  /* kNoticeSignalOff was posted (once per open) */
	uint8_t calibrating;     /* the first alarm, at calibrateAt, is still to come */
	uint32_t latencyUs;      /* longest interrupt latency measured since opening (kLatencyUnknown first) */
	uint64_t calibrateAt;
	uint8_t detecting;       /* the next card character is TS: no parity check, choose the convention */
	uint8_t convention;      /* 0 detecting, 1 direct, 2 inverse */
	uint8_t extraGuardEtu;   /* N in etu beyond the 12 etu character, T=0 pacing */
	uint8_t turnaroundEtu;   /* between the card's last leading edge and ours: 16 (T=0), BGT 22 (T=1) */

	/* Logical bytes (the convention decoded). */
	uint8_t rx[kRxSize];
	volatile uint16_t rxHead, rxTail;

	/* Line bytes (the convention coded). tx[echoTail .. txTail) are in the UART or on the line;
	 * tx[txTail .. txHead) wait. */
	uint8_t tx[kTxSize];
	volatile uint16_t txHead, txTail, echoTail;

	uint8_t echoSeen;        /* T=0: the echo of the character in flight has come back */
	uint8_t echoError;       /* T=0: that echo had a parity/framing error, or more followed it */
	uint8_t deciding;        /* T=0: the decision waits for the character the receiver is taking in */
	uint64_t sentAt;         /* µs: T=0, when the character in flight went into the TX FIFO (≤ its leading edge) */
	uint64_t echoAt;         /* µs: T=0, when the handler took in that character's echo */
	uint8_t txRepeats;       /* T=0: repetitions of the character in flight so far */
	uint8_t rxRepeats;       /* T=0: error signals sent for the character being received */
	uint8_t discarding;      /* T=0: drop what the receiver hears until the pending action runs */

	uint8_t action;
	uint64_t actionAt;       /* µs on the timer */

	uint32_t firstEtu, nextEtu;
	uint8_t armed;           /* a receive deadline is running (deadlineAt) */
	uint64_t deadlineAt;
	uint64_t lastEdge;       /* µs: leading edge of the last character seen on the line */
	uint8_t edgeSeen;        /* lastEdge is one (the timer starts at 0 when the UART opens: 0 is no edge) */
	uint64_t sendNotBefore;  /* µs: the card's last leading edge + the turnaround */

	/* Block level (card-block.c). */
	uint8_t edc;             /* kEdc*: the T=1 epilogue appended and checked */
	uint8_t transfer;        /* kTransfer*: the transfer in progress */
	uint8_t t0State;         /* kT0*: what the card's next character is */
	uint8_t ins;             /* T=0: INS of the TPDU */
	uint8_t sw1;
	uint8_t out;             /* T=0: the TPDU's data goes to the card */
	uint16_t remaining;      /* T=0: data bytes of the TPDU still to move */
	uint16_t step;           /* T=0: data bytes of the current INS / INS ⊕ FF still to receive */
	uint16_t commandPos;     /* T=0: the next data byte of `command` to send */
	uint8_t command[kBlockSize];  /* T=0: the TPDU as handed over (logical bytes) */
	uint8_t block[kBlockSize];    /* the card's block, or the TPDU's response (logical bytes) */
	uint16_t blockCount;     /* bytes of it so far */
	uint16_t blockExpected;  /* T=1: 3 + LEN + EDC, once LEN has come (0 before) */
	volatile uint8_t blockReady;  /* a result waits for readBlock */
	uint8_t blockEnd;        /* kEnd*: how it ended */
	uint8_t blockT1;         /* it is a T=1 block (its EDC is checked when it is read) */

	volatile uint8_t errors;
	volatile uint8_t posted;
	uint8_t yield;           /* this handler posted to the XS task: switch to it on return */
	uint8_t retrying;        /* a refused post is to be tried again at retryAt */
	uint64_t retryAt;
	volatile uint8_t freed;  /* transmit room was freed since the last delivery (onWritable) */
	uint8_t closing;         /* closed while a delivery was queued: the delivery frees the record */
} CardUartRecord, *CardUart;

/* card-uart.c, for the block level (the first three inside the lock). Global names: prefixed. */
void cardUartPost(CardUart uart, uint8_t error);
void cardUartFeed(CardUart uart);
void cardUartArmDeadlines(CardUart uart, uint32_t firstEtu, uint32_t nextEtu);
CardUart cardUartOpen(xsMachine *the);
/* The convention's coding of a byte (its own inverse): inverse convention data bits are inverted and
 * sent most significant first (§8.1), which the UART, sending least significant first at normal
 * levels with odd parity, carries as reverse(~b). */
uint8_t cardUartCoding(CardUart uart, uint8_t byte);

/* card-block.c, for the character level (from the interrupt handlers, inside the lock). */
uint8_t cardBlockReceive(CardUart uart, uint8_t byte);
void cardBlockEnd(CardUart uart, uint8_t end);
void cardBlockAbandon(CardUart uart);

#endif
