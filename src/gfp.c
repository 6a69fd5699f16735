/* SPDX-License-Identifier: MIT */
/*
 * gfp.c - what a gfp mask means and how it reads.  gfp_zone() through the
 * kernel's own GFP_ZONE_TABLE and GFP_ZONE_BAD bitstrings, gfp_migratetype()
 * (both include/linux/gfp.h), the "%pGg" text that lib/vsprintf.c's
 * format_flags() writes from the gfpflag_names table
 * (include/trace/events/mmflags.h), and a parser that reads that text, BZ_
 * names and numbers back.  Everything but the parser is async-signal-safe:
 * no allocation, no stdio, no locks.
 */
#include <limits.h>
#include <string.h>

#include "util.h"

/* ---- gfp_zone(): include/linux/gfp.h ------------------------------------- */

/*
 * x86-64 has ZONE_DEVICE and MAX_NR_ZONES - 1 <= 4, so two bits per entry;
 * no CONFIG_HIGHMEM, so __GFP_HIGHMEM alone means ZONE_NORMAL.
 */
#define GFP_ZONES_SHIFT  2
#define OPT_ZONE_DMA     BZ_ZONE_DMA
#define OPT_ZONE_DMA32   BZ_ZONE_DMA32
#define OPT_ZONE_HIGHMEM BZ_ZONE_NORMAL

#define GFP_ZONE_TABLE ( \
	((unsigned long)BZ_ZONE_NORMAL << 0 * GFP_ZONES_SHIFT) \
	| ((unsigned long)OPT_ZONE_DMA << BZ_GFP_DMA * GFP_ZONES_SHIFT) \
	| ((unsigned long)OPT_ZONE_HIGHMEM << BZ_GFP_HIGHMEM * GFP_ZONES_SHIFT) \
	| ((unsigned long)OPT_ZONE_DMA32 << BZ_GFP_DMA32 * GFP_ZONES_SHIFT) \
	| ((unsigned long)BZ_ZONE_NORMAL << BZ_GFP_MOVABLE * GFP_ZONES_SHIFT) \
	| ((unsigned long)OPT_ZONE_DMA << (BZ_GFP_MOVABLE | BZ_GFP_DMA) * GFP_ZONES_SHIFT) \
	| ((unsigned long)BZ_ZONE_MOVABLE << (BZ_GFP_MOVABLE | BZ_GFP_HIGHMEM) * GFP_ZONES_SHIFT) \
	| ((unsigned long)OPT_ZONE_DMA32 << (BZ_GFP_MOVABLE | BZ_GFP_DMA32) * GFP_ZONES_SHIFT))

/* At most one of DMA, DMA32, HIGHMEM; MOVABLE may join any one of them. */
#define GFP_ZONE_BAD ( \
	1u << (BZ_GFP_DMA | BZ_GFP_HIGHMEM) \
	| 1u << (BZ_GFP_DMA | BZ_GFP_DMA32) \
	| 1u << (BZ_GFP_DMA32 | BZ_GFP_HIGHMEM) \
	| 1u << (BZ_GFP_DMA | BZ_GFP_DMA32 | BZ_GFP_HIGHMEM) \
	| 1u << (BZ_GFP_MOVABLE | BZ_GFP_HIGHMEM | BZ_GFP_DMA) \
	| 1u << (BZ_GFP_MOVABLE | BZ_GFP_DMA32 | BZ_GFP_DMA) \
	| 1u << (BZ_GFP_MOVABLE | BZ_GFP_DMA32 | BZ_GFP_HIGHMEM) \
	| 1u << (BZ_GFP_MOVABLE | BZ_GFP_DMA32 | BZ_GFP_DMA | BZ_GFP_HIGHMEM))

_Static_assert(BZ_GFP_ZONEMASK == 0xfu, "the table covers the low four bits");
_Static_assert(BZ_ZONE_MOVABLE < (1 << GFP_ZONES_SHIFT), "zone index fits an entry");

/* The kernel's VM_BUG_ON on a bad combination becomes -EINVAL. */
int bz__gfp_zone(bz_gfp_t gfp)
{
	unsigned int bit = gfp & BZ_GFP_ZONEMASK;

	if (bz_unlikely((GFP_ZONE_BAD >> bit) & 1))
		return -EINVAL;
	return (int)((GFP_ZONE_TABLE >> (bit * GFP_ZONES_SHIFT)) &
		     ((1u << GFP_ZONES_SHIFT) - 1));
}

BZ_API int bz_gfp_zone(bz_gfp_t gfp)
{
	return bz__gfp_zone(gfp);
}

/* ---- gfp_migratetype(): include/linux/gfp.h ------------------------------- */

#define GFP_MOVABLE_MASK  (BZ_GFP_RECLAIMABLE | BZ_GFP_MOVABLE)
#define GFP_MOVABLE_SHIFT 3

_Static_assert((BZ_GFP_MOVABLE >> GFP_MOVABLE_SHIFT) == BZ_MIGRATE_MOVABLE, "gfp_migratetype");
_Static_assert((BZ_GFP_RECLAIMABLE >> GFP_MOVABLE_SHIFT) == BZ_MIGRATE_RECLAIMABLE,
	       "gfp_migratetype");
_Static_assert((GFP_MOVABLE_MASK >> GFP_MOVABLE_SHIFT) == BZ_MIGRATE_HIGHATOMIC,
	       "gfp_migratetype");

/*
 * Both mobility bits: the kernel warns (VM_WARN_ON) and goes on with
 * MIGRATE_HIGHATOMIC, which indexes past its pcp lists and fallbacks[];
 * we refuse instead.
 */
int bz__gfp_migratetype(bz_gfp_t gfp)
{
	unsigned int mt = (gfp & GFP_MOVABLE_MASK) >> GFP_MOVABLE_SHIFT;

	if (bz_unlikely(mt == BZ_MIGRATE_HIGHATOMIC))
		return -EINVAL;
	return (int)mt;
}

BZ_API int bz_gfp_migratetype(bz_gfp_t gfp)
{
	return bz__gfp_migratetype(gfp);
}

/* ---- Names: __def_gfpflag_names, include/trace/events/mmflags.h ---------- */

struct gfp_name {
	bz_gfp_t mask;
	const char *name;
};

/*
 * The kernel's order: combinations with most bits first, so that matching
 * masks win and leftovers show by themselves; then TRACE_GFP_FLAGS, the
 * single bits in bit order.  A distribution kernel has no KASAN_HW_TAGS or
 * LOCKDEP entries, and has the SLAB_OBJ_EXT one.
 */
static const struct gfp_name gfpflag_names[] = {
	{ BZ_GFP_TRANSHUGE,         "GFP_TRANSHUGE" },
	{ BZ_GFP_TRANSHUGE_LIGHT,   "GFP_TRANSHUGE_LIGHT" },
	{ BZ_GFP_HIGHUSER_MOVABLE,  "GFP_HIGHUSER_MOVABLE" },
	{ BZ_GFP_HIGHUSER,          "GFP_HIGHUSER" },
	{ BZ_GFP_USER,              "GFP_USER" },
	{ BZ_GFP_KERNEL_ACCOUNT,    "GFP_KERNEL_ACCOUNT" },
	{ BZ_GFP_KERNEL,            "GFP_KERNEL" },
	{ BZ_GFP_NOFS,              "GFP_NOFS" },
	{ BZ_GFP_ATOMIC,            "GFP_ATOMIC" },
	{ BZ_GFP_NOIO,              "GFP_NOIO" },
	{ BZ_GFP_NOWAIT,            "GFP_NOWAIT" },
	{ BZ_GFP_DMA_ZONE,          "GFP_DMA" },
	{ BZ_GFP_DMA32_ZONE,        "GFP_DMA32" },
	{ BZ_GFP_RECLAIM,           "__GFP_RECLAIM" },
	{ BZ_GFP_DMA,               "__GFP_DMA" },
	{ BZ_GFP_HIGHMEM,           "__GFP_HIGHMEM" },
	{ BZ_GFP_DMA32,             "__GFP_DMA32" },
	{ BZ_GFP_MOVABLE,           "__GFP_MOVABLE" },
	{ BZ_GFP_RECLAIMABLE,       "__GFP_RECLAIMABLE" },
	{ BZ_GFP_HIGH,              "__GFP_HIGH" },
	{ BZ_GFP_IO,                "__GFP_IO" },
	{ BZ_GFP_FS,                "__GFP_FS" },
	{ BZ_GFP_ZERO,              "__GFP_ZERO" },
	{ BZ_GFP_DIRECT_RECLAIM,    "__GFP_DIRECT_RECLAIM" },
	{ BZ_GFP_KSWAPD_RECLAIM,    "__GFP_KSWAPD_RECLAIM" },
	{ BZ_GFP_WRITE,             "__GFP_WRITE" },
	{ BZ_GFP_NOWARN,            "__GFP_NOWARN" },
	{ BZ_GFP_RETRY_MAYFAIL,     "__GFP_RETRY_MAYFAIL" },
	{ BZ_GFP_NOFAIL,            "__GFP_NOFAIL" },
	{ BZ_GFP_NORETRY,           "__GFP_NORETRY" },
	{ BZ_GFP_MEMALLOC,          "__GFP_MEMALLOC" },
	{ BZ_GFP_COMP,              "__GFP_COMP" },
	{ BZ_GFP_NOMEMALLOC,        "__GFP_NOMEMALLOC" },
	{ BZ_GFP_HARDWALL,          "__GFP_HARDWALL" },
	{ BZ_GFP_THISNODE,          "__GFP_THISNODE" },
	{ BZ_GFP_ACCOUNT,           "__GFP_ACCOUNT" },
	{ BZ_GFP_ZEROTAGS,          "__GFP_ZEROTAGS" },
	{ BZ_GFP_NO_OBJ_EXT,        "__GFP_NO_OBJ_EXT" }, /* TRACE_GFP_FLAGS_SLAB */
	{ 0, NULL }
};

/*
 * Names the parser also takes but format never writes: the zero-valued
 * flags (a zero mask would always "match" in format_flags) and the
 * BZ_-only spellings that have no GFP_ or __GFP_ twin.
 */
static const struct gfp_name parse_only_names[] = {
	{ BZ_GFP_SKIP_ZERO,         "__GFP_SKIP_ZERO" },
	{ BZ_GFP_SKIP_KASAN,        "__GFP_SKIP_KASAN" },
	{ BZ_GFP_NOLOCKDEP,         "__GFP_NOLOCKDEP" },
	{ BZ_GFP_ZONEMASK,          "GFP_ZONEMASK" },
	{ BZ_GFP_DMA_ZONE,          "BZ_GFP_DMA_ZONE" },
	{ BZ_GFP_DMA32_ZONE,        "BZ_GFP_DMA32_ZONE" },
	{ 0, NULL }
};

/* ---- Formatting: lib/vsprintf.c format_flags() ---------------------------- */

/* A bounded writer that counts what it could not write, like vsnprintf. */
struct gfp_out {
	char *buf;
	size_t size;
	size_t len;
};

static void out_char(struct gfp_out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void out_str(struct gfp_out *o, const char *s)
{
	while (*s)
		out_char(o, *s++);
}

/* number() with default_flag_spec: base 16, SPECIAL | SMALL, i.e. "%#x". */
static void out_hex(struct gfp_out *o, unsigned long v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[2 * sizeof(v)];
	int n = 0;

	do {
		tmp[n++] = digits[v & 0xf];
		v >>= 4;
	} while (v);
	out_str(o, "0x");
	while (n > 0)
		out_char(o, tmp[--n]);
}

BZ_API int bz_gfp_format(bz_gfp_t gfp, char *buf, size_t size)
{
	struct gfp_out o = { .buf = buf, .size = buf ? size : 0, .len = 0 };
	unsigned long flags = gfp;
	const struct gfp_name *n;

	for (n = gfpflag_names; flags && n->name; n++) {
		if ((flags & n->mask) != n->mask)
			continue;
		out_str(&o, n->name);
		flags &= ~(unsigned long)n->mask;
		if (flags)
			out_char(&o, '|');
	}
	if (flags)
		out_hex(&o, flags);
	if (o.size)
		o.buf[BZ_MIN(o.len, o.size - 1)] = '\0';
	return (int)o.len; /* a few hundred bytes at most */
}

/* ---- Parsing ---------------------------------------------------------------- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool token_is(const char *name, const char *tok, size_t len)
{
	return strlen(name) == len && memcmp(name, tok, len) == 0;
}

static bool find_in(const struct gfp_name *t, const char *tok, size_t len, bz_gfp_t *out)
{
	for (; t->name; t++) {
		if (token_is(t->name, tok, len)) {
			*out = t->mask;
			return true;
		}
	}
	return false;
}

static bool find_kernel_name(const char *tok, size_t len, bz_gfp_t *out)
{
	return find_in(gfpflag_names, tok, len, out) ||
	       find_in(parse_only_names, tok, len, out);
}

/* BZ_GFP_X is the kernel's GFP_X where that exists, else __GFP_X. */
static bool find_name(const char *tok, size_t len, bz_gfp_t *out)
{
	char kname[64];

	if (find_kernel_name(tok, len, out))
		return true;
	if (len <= 7 || len - 3 + 2 >= sizeof(kname) || memcmp(tok, "BZ_GFP_", 7) != 0)
		return false;
	if (find_kernel_name(tok + 3, len - 3, out))
		return true;
	kname[0] = '_';
	kname[1] = '_';
	memcpy(kname + 2, tok + 3, len - 3);
	return find_kernel_name(kname, len - 1, out);
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

/* Hex with 0x/0X, else decimal; the whole token, and at most UINT_MAX. */
static bool parse_number(const char *tok, size_t len, bz_gfp_t *out)
{
	unsigned long long v = 0;
	unsigned base = 10;
	size_t i = 0;

	if (len > 2 && tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X')) {
		base = 16;
		i = 2;
	}
	for (; i < len; i++) {
		int d = digit_value(tok[i]);

		if (d >= (int)base)
			return false;
		v = v * base + (unsigned)d;
		if (v > UINT_MAX)
			return false;
	}
	*out = (bz_gfp_t)v;
	return true;
}

static int parse_term(const char *tok, size_t len, bz_gfp_t *out)
{
	if (len == 0)
		return -EINVAL;
	if (tok[0] >= '0' && tok[0] <= '9')
		return parse_number(tok, len, out) ? 0 : -EINVAL;
	return find_name(tok, len, out) ? 0 : -EINVAL;
}

static const char *skip_blanks(const char *s)
{
	while (is_blank(*s))
		s++;
	return s;
}

BZ_API int bz_gfp_parse(const char *text, bz_gfp_t *out)
{
	bz_gfp_t gfp = 0;
	const char *s;

	if (!text || !out)
		return -EINVAL;
	s = skip_blanks(text);
	if (*s == '\0') {
		*out = 0;
		return 0;
	}
	for (;;) {
		const char *tok = skip_blanks(s);
		const char *end = tok;
		bz_gfp_t term;
		size_t len;

		while (*end && *end != '|' && !is_blank(*end))
			end++;
		len = (size_t)(end - tok);
		s = skip_blanks(end);
		if (*s != '\0' && *s != '|')
			return -EINVAL; /* two words without a '|' */
		if (parse_term(tok, len, &term) < 0)
			return -EINVAL;
		gfp |= term;
		if (*s == '\0')
			break;
		s++;
	}
	*out = gfp;
	return 0;
}
