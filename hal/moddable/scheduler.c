/*
 * The native half of hal/moddable/scheduler.ts: the clock and the one timer behind the Scheduler.
 * - The clock is esp_timer's microsecond counter, which runs from boot, never wraps in practice (64
 *   bits) and is readable from any task. Moddable's own modMicroseconds() truncates it to 32 bits
 *   (wraps after 71 minutes), too short for a reader that stays plugged in.
 * - The timer is a one-shot esp_timer: its callback runs in the esp_timer task and posts to the XS
 *   task, which calls TypeScript. Moddable's Timer counts whole milliseconds on the XS task's tick,
 *   so a wait of 22 etu (T=1's BGT, half a millisecond at the ATR rate) took a millisecond or two;
 *   this one resolves a microsecond.
 * A fire may reach TypeScript after a stop or a new start (it was already queued): TypeScript runs
 * what is due and re-arms, so a spurious call is harmless.
 */
#include "xsmc.h"          /* first: xs.h defines __XS__, which xsHost.h needs to declare the message API */
#include "xsHost.h"

#include "esp_timer.h"

typedef struct SchedulerTimerRecord {
	xsSlot obj;
	xsSlot callback;
	xsMachine *the;
	esp_timer_handle_t timer;
	volatile uint8_t posted;   /* a delivery is queued for the XS task */
	uint8_t closing;           /* released while a delivery was queued: the delivery frees the record */
} SchedulerTimerRecord, *SchedulerTimer;

void xs_scheduler_microseconds(xsMachine *the)
{
	xsmcSetNumber(xsResult, (double)esp_timer_get_time());
}

/* On the XS task: call TypeScript, unless the timer was released meanwhile. */
static void schedulerTimerDeliver(void *theIn, void *refcon, uint8_t *message, uint16_t messageLength)
{
	xsMachine *the = theIn;
	SchedulerTimer timer = refcon;
	(void)message;
	(void)messageLength;

	timer->posted = 0;
	if (timer->closing) {
		c_free(timer);
		return;
	}
	xsBeginHost(the);
		xsCallFunction0(timer->callback, timer->obj);
	xsEndHost(the);
}

/* On the esp_timer task: one delivery at a time (TypeScript runs everything that is due). */
static void schedulerTimerFired(void *arg)
{
	SchedulerTimer timer = arg;
	if (timer->posted)
		return;
	timer->posted = 1;
	if (0 != modMessagePostToMachine(timer->the, NULL, 0, schedulerTimerDeliver, timer))
		timer->posted = 0;
}

void xs_scheduler_timer_destructor(void *data)
{
	SchedulerTimer timer = data;
	if (!timer)
		return;
	esp_timer_stop(timer->timer);
	esp_timer_delete(timer->timer);
	if (timer->posted)
		timer->closing = 1;
	else
		c_free(timer);
}

/* new SchedulerTimer(callback) */
void xs_scheduler_timer(xsMachine *the)
{
	esp_timer_create_args_t args = {0};
	SchedulerTimer timer = c_calloc(1, sizeof(SchedulerTimerRecord));
	if (!timer)
		xsUnknownError("no memory");
	args.callback = schedulerTimerFired;
	args.arg = timer;
	args.dispatch_method = ESP_TIMER_TASK;
	args.name = "scheduler";
	if (ESP_OK != esp_timer_create(&args, &timer->timer)) {
		c_free(timer);
		xsUnknownError("esp_timer failed");
	}
	timer->the = the;
	timer->obj = xsThis;
	timer->callback = xsArg(0);
	xsmcSetHostData(xsThis, timer);
	xsRemember(timer->obj);
	xsRemember(timer->callback);
}

/* start(delayUs): fire once, that many microseconds from now (a pending start is replaced). */
void xs_scheduler_timer_start(xsMachine *the)
{
	SchedulerTimer timer = xsmcGetHostDataValidate(xsThis, xs_scheduler_timer_destructor);
	double delay = xsmcToNumber(xsArg(0));
	esp_timer_stop(timer->timer);      /* ESP_ERR_INVALID_STATE when not running: nothing to stop */
	if (ESP_OK != esp_timer_start_once(timer->timer, (delay > 0) ? (uint64_t)delay : 0))
		xsUnknownError("esp_timer failed");
}

void xs_scheduler_timer_stop(xsMachine *the)
{
	SchedulerTimer timer = xsmcGetHostDataValidate(xsThis, xs_scheduler_timer_destructor);
	esp_timer_stop(timer->timer);
}
