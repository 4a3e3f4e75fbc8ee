"""Drives the libusb stand-in through its public libusb-1.0 ABI (ctypes), against the test echo device
served by standin.test.ts, and prints one JSON object of observations for the test to check."""
import ctypes as C
import json
import os
import sys
import threading
import time

lib = C.CDLL(sys.argv[1])


class Transfer(C.Structure):
    _fields_ = [('dev_handle', C.c_void_p), ('flags', C.c_uint8), ('endpoint', C.c_ubyte), ('type', C.c_ubyte),
                ('timeout', C.c_uint), ('status', C.c_int), ('length', C.c_int), ('actual_length', C.c_int),
                ('callback', C.c_void_p), ('user_data', C.c_void_p), ('buffer', C.c_void_p), ('num_iso_packets', C.c_int)]


class Endpoint(C.Structure):
    _fields_ = [('bLength', C.c_uint8), ('bDescriptorType', C.c_uint8), ('bEndpointAddress', C.c_uint8),
                ('bmAttributes', C.c_uint8), ('wMaxPacketSize', C.c_uint16), ('bInterval', C.c_uint8),
                ('bRefresh', C.c_uint8), ('bSynchAddress', C.c_uint8), ('extra', C.c_void_p), ('extra_length', C.c_int)]


class AltSetting(C.Structure):
    _fields_ = [('bLength', C.c_uint8), ('bDescriptorType', C.c_uint8), ('bInterfaceNumber', C.c_uint8),
                ('bAlternateSetting', C.c_uint8), ('bNumEndpoints', C.c_uint8), ('bInterfaceClass', C.c_uint8),
                ('bInterfaceSubClass', C.c_uint8), ('bInterfaceProtocol', C.c_uint8), ('iInterface', C.c_uint8),
                ('endpoint', C.POINTER(Endpoint)), ('extra', C.POINTER(C.c_ubyte)), ('extra_length', C.c_int)]


class Interface(C.Structure):
    _fields_ = [('altsetting', C.POINTER(AltSetting)), ('num_altsetting', C.c_int)]


class Config(C.Structure):
    _fields_ = [('bLength', C.c_uint8), ('bDescriptorType', C.c_uint8), ('wTotalLength', C.c_uint16),
                ('bNumInterfaces', C.c_uint8), ('bConfigurationValue', C.c_uint8), ('iConfiguration', C.c_uint8),
                ('bmAttributes', C.c_uint8), ('MaxPower', C.c_uint8), ('interface', C.POINTER(Interface)),
                ('extra', C.c_void_p), ('extra_length', C.c_int)]


CALLBACK = C.CFUNCTYPE(None, C.POINTER(Transfer))
lib.libusb_alloc_transfer.restype = C.POINTER(Transfer)
lib.libusb_get_device_list.restype = C.c_ssize_t
lib.libusb_error_name.restype = C.c_char_p
out = {}

ctx = C.c_void_p()
lib.libusb_init(C.byref(ctx))
devices = C.POINTER(C.c_void_p)()
out['devices'] = lib.libusb_get_device_list(ctx, C.byref(devices))
device = devices[0]
descriptor = (C.c_uint8 * 18)()
lib.libusb_get_device_descriptor(C.c_void_p(device), descriptor)
out['idVendor'] = descriptor[8] | descriptor[9] << 8
config = C.POINTER(Config)()
lib.libusb_get_active_config_descriptor(C.c_void_p(device), C.byref(config))
alt = config.contents.interface[0].altsetting[0]
out['interfaceClass'] = alt.bInterfaceClass
out['classDescriptor'] = [alt.extra_length, alt.extra[1] if alt.extra_length else None]
out['endpoints'] = [alt.endpoint[i].bEndpointAddress for i in range(alt.bNumEndpoints)]
lib.libusb_free_config_descriptor(config)
handle = C.c_void_p()
lib.libusb_open(C.c_void_p(device), C.byref(handle))
text = (C.c_ubyte * 64)()
n = lib.libusb_get_string_descriptor_ascii(handle, 1, text, 64)
out['product'] = bytes(text[:n]).decode() if n >= 0 else n

buf = (C.c_ubyte * 4)()
out['stall'] = lib.libusb_control_transfer(handle, 0xA1, 0x7F, 0, 0, buf, 4, 1000)
out['classRequest'] = lib.libusb_control_transfer(handle, 0xA1, 0x03, 0, 0, buf, 4, 1000)

message = bytes([0x6F, 3, 0, 0, 0, 0, 9, 0, 0, 0, 0xA, 0xB, 0xC])
sent = C.c_int()
out['bulkOut'] = [lib.libusb_bulk_transfer(handle, 0x01, (C.c_ubyte * len(message)).from_buffer_copy(message), len(message), C.byref(sent), 5000), sent.value]
reply = (C.c_ubyte * 4096)()
got = C.c_int()
out['bulkIn'] = [lib.libusb_bulk_transfer(handle, 0x82, reply, 4096, C.byref(got), 3000), bytes(reply[:got.value]).hex()]

start = time.monotonic()
out['bulkTimeout'] = lib.libusb_bulk_transfer(handle, 0x82, reply, 4096, C.byref(got), 200)
out['bulkTimeoutSeconds'] = round(time.monotonic() - start, 2)


def interrupt(timeout_ms, cancel_after=None, meanwhile=lambda: None):
    """An async interrupt IN transfer, handled to its end: [submit result, completed, status, seconds,
    data, what `meanwhile` (run once it is submitted) returned]."""
    done = C.c_int(0)

    @CALLBACK
    def on_done(transfer):
        done.value = 1

    t = lib.libusb_alloc_transfer(0)
    data = (C.c_ubyte * 8)()
    t.contents.dev_handle = handle.value
    t.contents.endpoint = 0x83
    t.contents.type = 3
    t.contents.timeout = timeout_ms
    t.contents.length = 8
    t.contents.buffer = C.cast(data, C.c_void_p)
    t.contents.callback = C.cast(on_done, C.c_void_p)
    submitted = lib.libusb_submit_transfer(t)
    if cancel_after is not None:
        threading.Timer(cancel_after, lambda: lib.libusb_cancel_transfer(t)).start()
    during = meanwhile()
    start = time.monotonic()
    while not done.value and time.monotonic() - start < 5:
        lib.libusb_handle_events_completed(ctx, C.byref(done))
    result = [submitted, done.value, t.contents.status, round(time.monotonic() - start, 2),
              bytes(data[:t.contents.actual_length]).hex(), during]
    lib.libusb_free_transfer(t)
    return result


out['interruptTimeout'] = interrupt(100)
out['interruptCancelled'] = interrupt(0, cancel_after=0.2)


# Read-ahead: once a read has asked for a length that holds any message (dwMaxCCIDMessageLength) and
# is not a multiple of the packet size, each bulk OUT carries a bulk IN URB of that length with it,
# which the next read takes.
def bulk_out(seq, data=b'', declared=None):
    m = bytes([0x6F, len(data) if declared is None else declared, 0, 0, 0, 0, seq, 0, 0, 0]) + data
    return lib.libusb_bulk_transfer(handle, 0x01, (C.c_ubyte * len(m)).from_buffer_copy(m), len(m), C.byref(sent), 5000)


def bulk_in(length, timeout_ms):
    buffer = (C.c_ubyte * length)()
    n = C.c_int(-1)
    r = lib.libusb_bulk_transfer(handle, 0x82, buffer, length, C.byref(n), timeout_ms)
    return [r, bytes(buffer[:n.value]).hex()]


ahead = {}
ahead['learn'] = bulk_in(4100, 100)
ahead['out'] = bulk_out(1, b'\x01\x02')
ahead['in'] = bulk_in(4100, 3000)
# A shorter read than the URB queued for it: that URB is withdrawn (or its data taken, if it won).
ahead['outShort'] = bulk_out(2, b'\x03')
time.sleep(0.1)
ahead['inShort'] = bulk_in(64, 3000)
# Shorter than the answer: the overflow a URB of that length gets.
bulk_out(3, b'\x04' * 20)
time.sleep(0.1)
ahead['inOverflow'] = bulk_in(16, 3000)[0]
ahead['afterOverflow'] = bulk_in(4100, 300)


# Two threads (as two slots' commands), each writing then reading: every answer reaches exactly one
# reader, whichever thread took the URB queued behind a write.
def worker(first, answers):
    for seq in range(first, first + 40):
        if bulk_out(seq, bytes([seq])) != 0:
            answers.append('out failed')
            continue
        r, data = bulk_in(4100, 3000)
        answers.append(data if r == 0 else r)


answers_a, answers_b = [], []
threads = [threading.Thread(target=worker, args=(10, answers_a)), threading.Thread(target=worker, args=(100, answers_b))]
for th in threads:
    th.start()
for th in threads:
    th.join()
ahead['twoThreads'] = sorted(answers_a + answers_b)


# An interrupt message that arrives while a synchronous transfer reads the socket: that reader
# completes the async transfer too, and libusb_handle_events delivers it.
ahead['interruptDuringBulk'] = interrupt(0, meanwhile=lambda: [bulk_out(250, b'\x06'), bulk_in(4100, 3000)])
# An answer that never comes: the read times out and its queued URB is unlinked.
ahead['outUnanswered'] = bulk_out(200, b'\x05', declared=9)
start = time.monotonic()
ahead['inTimeout'] = bulk_in(4100, 200)[0]
ahead['inTimeoutSeconds'] = round(time.monotonic() - start, 2)
out['readAhead'] = ahead

# The server goes away (the test closes it once READY exists): every call now fails with NO_DEVICE.
ready, gone = sys.argv[2] + '.ready', sys.argv[2] + '.gone'
open(ready, 'w').close()
deadline = time.monotonic() + 10
while not os.path.exists(gone) and time.monotonic() < deadline:
    time.sleep(0.02)
time.sleep(0.1)
out['afterServerGone'] = [lib.libusb_bulk_transfer(handle, 0x82, reply, 64, C.byref(got), 1000),
                          lib.libusb_control_transfer(handle, 0x80, 6, 0x0100, 0, buf, 4, 1000)]
lib.libusb_close(handle)
lib.libusb_free_device_list(devices, 1)
lib.libusb_exit(ctx)
print(json.dumps(out))
