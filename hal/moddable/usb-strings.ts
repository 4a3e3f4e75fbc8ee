/**
 * String descriptors for esp_tinyusb, kept apart from the native USB device so that it is plain
 * code (tested on the host).
 */
const DESCRIPTOR_STRING = 0x03;
const REPLACEMENT = 0x3f; // '?'

/**
 * esp_tinyusb builds string descriptors itself from C strings (one byte per UTF-16 unit), so the
 * descriptors the class generated travel as text: entry 0 keeps the two bytes of the language ID,
 * the others are their UTF-16LE text narrowed to ASCII; entries are NUL-terminated.
 */
export function packStrings(strings: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const descriptor of strings) size += (descriptor.length - 2) / 2 + 1;
  const packed = new Uint8Array(size + 2);
  let at = 0;
  strings.forEach((descriptor, index) => {
    if (descriptor.length < 2 || descriptor[0] !== descriptor.length || descriptor[1] !== DESCRIPTOR_STRING) {
      throw new RangeError(`string descriptor ${index}`);
    }
    if (index === 0) {
      packed[at++] = descriptor[2];
      packed[at++] = descriptor[3];
    } else {
      for (let i = 2; i + 1 < descriptor.length; i += 2) {
        const unit = descriptor[i] | (descriptor[i + 1] << 8);
        packed[at++] = unit > 0 && unit < 0x80 ? unit : REPLACEMENT;
      }
    }
    packed[at++] = 0;
  });
  return packed.subarray(0, at);
}
