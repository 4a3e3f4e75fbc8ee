/*
 * The XS C API on the virtual ESP32-S3 board: the fx* functions that the macros of the real xs.h and
 * xsmc.h expand to, over slots that live in WebAssembly memory. A slot holds its kind, an integer
 * (or a boolean, or the handle of a JavaScript value kept by hal/sim/esp32s3/xs-host.ts) and a
 * double. Primitives are handled here; everything about a JavaScript value (objects, buffers,
 * calls, host data, exceptions) is imported from xs-host.ts, whose side of this encoding must match
 * (kSlot* below).
 */
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include "xsmc.h"

enum {
	kSlotUndefined = 0,
	kSlotNull = 1,
	kSlotBoolean = 2,
	kSlotInteger = 3,
	kSlotNumber = 4,
	kSlotReference = 5,     /* value: handle of a JavaScript value (object, string, function, …) */
};

typedef struct {
	int32_t kind;
	int32_t value;
	double number;
} SimSlot;

_Static_assert(sizeof(SimSlot) == sizeof(xsSlot), "a slot is four pointers");

#define kStackCount 256

static xsMachine gMachine;
static xsSlot gStack[kStackCount];

/* Imported from xs-host.ts. */
extern double sim_xs_to_number(int32_t handle);
extern int32_t sim_xs_to_int32(double value);
extern int32_t sim_xs_test(int32_t handle);
extern void *sim_xs_get_host_data(int32_t handle, void *validator, int32_t validate);
extern void sim_xs_set_host_data(int32_t handle, void *data);
extern int32_t sim_xs_get_buffer(int32_t handle, void **data, xsUnsignedValue *count, int32_t writable);
extern int32_t sim_xs_array_buffer_length(int32_t handle);
extern void sim_xs_set_array_buffer_data(int32_t handle, int32_t offset, void *data, int32_t size);
extern void sim_xs_remember(xsSlot *slot);
extern void sim_xs_forget(xsSlot *slot);
extern void sim_xs_run_count(xsSlot *stack, int32_t count);
extern void sim_xs_throw(int32_t error, const char *message) XS_FUNCTION_NORETURN;

static SimSlot *slotOf(xsSlot *slot)
{
	return (SimSlot *)slot;
}

xsMachine *sim_xs_machine(void)
{
	if (!gMachine.stackBottom) {
		gMachine.stackBottom = gStack;
		gMachine.stackTop = gStack + kStackCount;
		gMachine.stack = gMachine.stackTop;
		gMachine.frame = gMachine.stackTop;
	}
	return &gMachine;
}

/*
 * A native call's frame, as xs.h addresses it (xsThis = frame[4], xsResult = frame[1],
 * xsArgc = frame[-1], xsArg(i) = frame[-2 - i]): five slots above the frame pointer, argc and the
 * arguments below, the stack pointer under the last argument. Returns the frame; sim_xs_leave
 * restores the stack and frame saved in `saved`.
 */
xsSlot *sim_xs_enter(int32_t argc, xsSlot **saved)
{
	xsMachine *the = sim_xs_machine();
	xsSlot *frame = the->stack - 5;
	if (frame - 2 - argc < the->stackBottom)
		sim_xs_throw(XS_RANGE_ERROR, "stack overflow");
	saved[0] = the->stack;
	saved[1] = the->frame;
	memset(frame - 1 - argc, 0, (size_t)(6 + argc) * sizeof(xsSlot));
	slotOf(frame - 1)->kind = kSlotInteger;
	slotOf(frame - 1)->value = argc;
	the->frame = frame;
	the->stack = frame - 1 - argc;
	return frame;
}

void sim_xs_leave(xsSlot **saved)
{
	gMachine.stack = saved[0];
	gMachine.frame = saved[1];
}

/* Offsets of xsThis, xsResult and xsArgc from the frame, as the compiled xs.h has them (checked by
 * xs-host.ts against the layout it writes). */
int32_t sim_xs_layout(int32_t which)
{
	xsMachine record = {0}, *the = &record;
	xsSlot frame[8];
	the->frame = frame + 4;
	if (0 == which)
		return (int32_t)((char *)&xsThis - (char *)the->frame);
	if (1 == which)
		return (int32_t)((char *)&xsResult - (char *)the->frame);
	return (int32_t)((char *)&xsArgc - (char *)the->frame);
}

void fxUndefined(xsMachine *the, xsSlot *slot)
{
	(void)the;
	memset(slot, 0, sizeof(*slot));
}

void fxInteger(xsMachine *the, xsSlot *slot, xsIntegerValue value)
{
	(void)the;
	slotOf(slot)->kind = kSlotInteger;
	slotOf(slot)->value = value;
}

void fxNumber(xsMachine *the, xsSlot *slot, xsNumberValue value)
{
	(void)the;
	slotOf(slot)->kind = kSlotNumber;
	slotOf(slot)->number = value;
}

void fxBoolean(xsMachine *the, xsSlot *slot, xsBooleanValue value)
{
	(void)the;
	slotOf(slot)->kind = kSlotBoolean;
	slotOf(slot)->value = value ? 1 : 0;
}

xsNumberValue fxToNumber(xsMachine *the, xsSlot *slot)
{
	SimSlot *s = slotOf(slot);
	(void)the;
	switch (s->kind) {
	case kSlotInteger: return s->value;
	case kSlotNumber: return s->number;
	case kSlotBoolean: return s->value;
	case kSlotNull: return 0;
	case kSlotReference: return sim_xs_to_number(s->value);
	default: return __builtin_nan("");
	}
}

/* ECMAScript ToInt32, as XS converts a number to an integer. */
xsIntegerValue fxToInteger(xsMachine *the, xsSlot *slot)
{
	SimSlot *s = slotOf(slot);
	if ((kSlotInteger == s->kind) || (kSlotBoolean == s->kind))
		return s->value;
	return sim_xs_to_int32(fxToNumber(the, slot));
}

xsBooleanValue _xsTest(xsMachine *the, xsSlot *slot)
{
	SimSlot *s = slotOf(slot);
	(void)the;
	switch (s->kind) {
	case kSlotBoolean:
	case kSlotInteger: return 0 != s->value;
	case kSlotNumber: return (s->number == s->number) && (0 != s->number);
	case kSlotReference: return sim_xs_test(s->value);
	default: return 0;
	}
}

static int32_t handleOf(xsSlot *slot)
{
	SimSlot *s = slotOf(slot);
	if (kSlotReference != s->kind)
		sim_xs_throw(XS_TYPE_ERROR, "no object");
	return s->value;
}

void *fxGetHostData(xsMachine *the, xsSlot *slot)
{
	(void)the;
	return sim_xs_get_host_data(handleOf(slot), NULL, 0);
}

void *fxGetHostDataValidate(xsMachine *the, xsSlot *slot, void *validator)
{
	(void)the;
	return sim_xs_get_host_data(handleOf(slot), validator, 1);
}

void fxSetHostData(xsMachine *the, xsSlot *slot, void *data)
{
	(void)the;
	sim_xs_set_host_data(handleOf(slot), data);
}

xsIntegerValue _xsmcGetBuffer(xsMachine *the, xsSlot *slot, void **data, xsUnsignedValue *count, xsBooleanValue writable)
{
	(void)the;
	return sim_xs_get_buffer(handleOf(slot), data, count, writable);
}

xsIntegerValue fxGetArrayBufferLength(xsMachine *the, xsSlot *slot)
{
	(void)the;
	return sim_xs_array_buffer_length(handleOf(slot));
}

void fxSetArrayBufferData(xsMachine *the, xsSlot *slot, xsIntegerValue offset, void *data, xsIntegerValue size)
{
	(void)the;
	sim_xs_set_array_buffer_data(handleOf(slot), offset, data, size);
}

void fxRemember(xsMachine *the, xsSlot *slot)
{
	(void)the;
	sim_xs_remember(slot);
}

void fxForget(xsMachine *the, xsSlot *slot)
{
	(void)the;
	sim_xs_forget(slot);
}

/* xsCallFunctionN pushes this and the function, then fxCall, then the arguments, then fxRunCount:
 * this shim needs no extra frame slots, so fxCall does nothing and fxRunCount calls the function
 * with what is on the stack, leaving the result where fxPop() reads it. */
void fxCall(xsMachine *the)
{
	(void)the;
}

void fxRunCount(xsMachine *the, xsIntegerValue count)
{
	xsSlot *stack = the->stack;
	sim_xs_run_count(stack, count);
	the->stack = stack + count + 1;
}

xsMachine *fxBeginHost(xsMachine *the)
{
	return the;
}

void fxEndHost(xsMachine *the)
{
	(void)the;
}

xsIntegerValue fxCheckArg(xsMachine *the, xsIntegerValue index)
{
	SimSlot *argc = slotOf(&the->frame[-1]);
	if ((index < 0) || (index >= argc->value))
		sim_xs_throw(XS_SYNTAX_ERROR, "C: xsArg: index out of range");
	return index;
}

void fxOverflow(xsMachine *the, xsIntegerValue count, xsStringValue path, xsIntegerValue line)
{
	(void)path;
	(void)line;
	if ((count < 0) && (the->stack + count < the->stackBottom))
		sim_xs_throw(XS_RANGE_ERROR, "stack overflow");
}

void fxAbort(xsMachine *the, int status)
{
	(void)the;
	(void)status;
	sim_xs_throw(XS_UNKNOWN_ERROR, "fxAbort");
}

/* %s, %d, %u and %x: what C error messages use. */
static void format(char *buffer, size_t size, const char *text, va_list args)
{
	size_t at = 0;
	while (*text && (at + 1 < size)) {
		char c = *text++;
		if (('%' != c) || !*text) {
			buffer[at++] = c;
			continue;
		}
		c = *text++;
		if ('s' == c) {
			const char *s = va_arg(args, const char *);
			while (s && *s && (at + 1 < size))
				buffer[at++] = *s++;
		}
		else if (('d' == c) || ('u' == c) || ('x' == c)) {
			char digits[12];
			int n = 0, value = va_arg(args, int);
			uint32_t u = (('d' == c) && (value < 0)) ? (uint32_t)-value : (uint32_t)value;
			uint32_t base = ('x' == c) ? 16 : 10;
			if (('d' == c) && (value < 0))
				buffer[at++] = '-';
			do {
				digits[n++] = "0123456789abcdef"[u % base];
				u /= base;
			} while (u && (n < 12));
			while (n && (at + 1 < size))
				buffer[at++] = digits[--n];
		}
		else
			buffer[at++] = c;
	}
	buffer[at] = 0;
}

void fxThrowMessage(xsMachine *the, xsStringValue path, xsIntegerValue line, xsIntegerValue error, xsStringValue message, ...)
{
	char buffer[128];
	va_list args;
	(void)the;
	(void)path;
	(void)line;
	va_start(args, message);
	format(buffer, sizeof(buffer), message, args);
	va_end(args);
	sim_xs_throw(error, buffer);
}
