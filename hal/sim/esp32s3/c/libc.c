/*
 * The C library of the virtual ESP32-S3 board: the handful of functions the drivers, the XS shim and
 * the compiler itself (struct copies) need, for WebAssembly without a libc. The heap is a first-fit
 * free list over memory grown with memory.grow; blocks keep their size in a header, freed blocks are
 * merged with their successor.
 */
#include <stdint.h>
#include <string.h>
#include <stdlib.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	__builtin_memcpy(dst, src, n);      /* memory.copy (bulk memory) */
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	__builtin_memmove(dst, src, n);     /* memory.copy handles overlap */
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	__builtin_memset(dst, c, n);        /* memory.fill */
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;
	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] - y[i];
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;
	while ((n < max) && s[n])
		n++;
	return n;
}

typedef struct Block {
	size_t size;            /* bytes after the header */
	struct Block *next;     /* free list only */
} Block;

#define kAlign 16
#define kHeader ((sizeof(Block) + kAlign - 1) & ~(size_t)(kAlign - 1))
#define kPage 65536

extern unsigned char __heap_base;
static uintptr_t gBreak;
static Block *gFree;

static void *grow(size_t bytes)
{
	uintptr_t end;
	if (!gBreak)
		gBreak = ((uintptr_t)&__heap_base + kAlign - 1) & ~(uintptr_t)(kAlign - 1);
	end = gBreak + bytes;
	while (end > __builtin_wasm_memory_size(0) * (uintptr_t)kPage) {
		if (__builtin_wasm_memory_grow(0, (end - __builtin_wasm_memory_size(0) * (uintptr_t)kPage + kPage - 1) / kPage) < 0)
			return NULL;
	}
	void *p = (void *)gBreak;
	gBreak = end;
	return p;
}

void *malloc(size_t size)
{
	Block **link, *block;
	size = (size + kAlign - 1) & ~(size_t)(kAlign - 1);
	if (!size)
		size = kAlign;
	for (link = &gFree; (block = *link); link = &block->next) {
		if (block->size < size)
			continue;
		if (block->size >= size + kHeader + kAlign) {
			Block *rest = (Block *)((uint8_t *)block + kHeader + size);
			rest->size = block->size - size - kHeader;
			rest->next = block->next;
			block->size = size;
			*link = rest;
		}
		else
			*link = block->next;
		return (uint8_t *)block + kHeader;
	}
	block = grow(kHeader + size);
	if (!block)
		return NULL;
	block->size = size;
	return (uint8_t *)block + kHeader;
}

void *calloc(size_t count, size_t size)
{
	size_t total = count * size;
	if (size && (total / size != count))
		return NULL;
	void *p = malloc(total);
	if (p)
		memset(p, 0, total);
	return p;
}

void free(void *p)
{
	if (!p)
		return;
	Block *block = (Block *)((uint8_t *)p - kHeader);
	/* Keep the free list in address order so neighbours can be merged. */
	Block **link = &gFree;
	while (*link && (*link < block))
		link = &(*link)->next;
	block->next = *link;
	*link = block;
	if (block->next && ((uint8_t *)block + kHeader + block->size == (uint8_t *)block->next)) {
		block->size += kHeader + block->next->size;
		block->next = block->next->next;
	}
	if ((link != &gFree)) {
		Block *previous = (Block *)((uint8_t *)link - offsetof(Block, next));
		if ((uint8_t *)previous + kHeader + previous->size == (uint8_t *)block) {
			previous->size += kHeader + block->size;
			previous->next = block->next;
		}
	}
}

void *realloc(void *p, size_t size)
{
	if (!p)
		return malloc(size);
	Block *block = (Block *)((uint8_t *)p - kHeader);
	if (block->size >= size)
		return p;
	void *q = malloc(size);
	if (q) {
		memcpy(q, p, block->size);
		free(p);
	}
	return q;
}
