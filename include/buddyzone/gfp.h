/* SPDX-License-Identifier: MIT */
/*
 * gfp.h - "get free pages" flags, bit for bit the kernel's (Linux 6.18,
 * include/linux/gfp_types.h, as built without KASAN hardware tags or
 * lockdep, i.e. a distribution kernel).  Three tiers as in the kernel:
 * the modifiers (BZ_GFP_DMA, ...), and the combinations callers normally
 * use (BZ_GFP_KERNEL, BZ_GFP_ATOMIC, ...).  BZ_GFP_X is the kernel's __GFP_X
 * or GFP_X; <buddyzone/linux.h> offers the kernel spellings themselves.
 */
#ifndef BUDDYZONE_GFP_H
#define BUDDYZONE_GFP_H

#include <stddef.h>
#include <buddyzone/export.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef unsigned int bz_gfp_t;

/* Zone modifiers: pick the highest zone an allocation may use (gfp_zone). */
#define BZ_GFP_DMA            0x01u
#define BZ_GFP_HIGHMEM        0x02u
#define BZ_GFP_DMA32          0x04u
#define BZ_GFP_MOVABLE        0x08u /* also the MOVABLE migratetype */
#define BZ_GFP_ZONEMASK       (BZ_GFP_DMA | BZ_GFP_HIGHMEM | BZ_GFP_DMA32 | BZ_GFP_MOVABLE)

/* Mobility and placement. */
#define BZ_GFP_RECLAIMABLE    0x10u
#define BZ_GFP_WRITE          0x1000u
#define BZ_GFP_HARDWALL       0x100000u
#define BZ_GFP_THISNODE       0x200000u
#define BZ_GFP_ACCOUNT        0x400000u
/* Slab only (no object extension), ignored by the page allocator.  Bit 24
 * with CONFIG_SLAB_OBJ_EXT, which MEMCG selects: on every distro kernel. */
#define BZ_GFP_NO_OBJ_EXT     0x1000000u

/* Watermark modifiers: access to the reserves below the min watermark. */
#define BZ_GFP_HIGH           0x20u
#define BZ_GFP_MEMALLOC       0x20000u
#define BZ_GFP_NOMEMALLOC     0x80000u

/* Reclaim modifiers. */
#define BZ_GFP_IO             0x40u
#define BZ_GFP_FS             0x80u
#define BZ_GFP_DIRECT_RECLAIM 0x400u
#define BZ_GFP_KSWAPD_RECLAIM 0x800u
#define BZ_GFP_RECLAIM        (BZ_GFP_DIRECT_RECLAIM | BZ_GFP_KSWAPD_RECLAIM)
#define BZ_GFP_RETRY_MAYFAIL  0x4000u
#define BZ_GFP_NOFAIL         0x8000u
#define BZ_GFP_NORETRY        0x10000u

/* Action modifiers. */
#define BZ_GFP_NOWARN         0x2000u
#define BZ_GFP_ZERO           0x100u
#define BZ_GFP_COMP           0x40000u
/* A real bit in every 6.x kernel, acted on only with KASAN hardware tags. */
#define BZ_GFP_ZEROTAGS       0x800000u
/* Zero in a kernel without KASAN hardware tags or lockdep; kept for source
 * compatibility with code that passes them. */
#define BZ_GFP_SKIP_ZERO      0u
#define BZ_GFP_SKIP_KASAN     0u
#define BZ_GFP_NOLOCKDEP      0u

/* Every bit the library knows (the kernel's __GFP_BITS_MASK less the unused
 * 0x200); any other bit makes a request invalid. */
#define BZ_GFP_VALID_MASK     0x1fffdffu

/*
 * Combinations (include/linux/gfp_types.h, Linux 6.18).  GFP_NOWAIT carries
 * __GFP_NOWARN since 6.17 (commit 16f5dfbc851b); values on x86-64:
 * GFP_KERNEL 0xcc0, GFP_ATOMIC 0x820, GFP_NOWAIT 0x2800,
 * GFP_HIGHUSER_MOVABLE 0x100cca, GFP_TRANSHUGE_LIGHT 0x1c20ca,
 * GFP_TRANSHUGE 0x1c24ca.
 */
#define BZ_GFP_ATOMIC          (BZ_GFP_HIGH | BZ_GFP_KSWAPD_RECLAIM)
#define BZ_GFP_KERNEL          (BZ_GFP_RECLAIM | BZ_GFP_IO | BZ_GFP_FS)
#define BZ_GFP_KERNEL_ACCOUNT  (BZ_GFP_KERNEL | BZ_GFP_ACCOUNT)
#define BZ_GFP_NOWAIT          (BZ_GFP_KSWAPD_RECLAIM | BZ_GFP_NOWARN)
#define BZ_GFP_NOIO            (BZ_GFP_RECLAIM)
#define BZ_GFP_NOFS            (BZ_GFP_RECLAIM | BZ_GFP_IO)
#define BZ_GFP_USER            (BZ_GFP_RECLAIM | BZ_GFP_IO | BZ_GFP_FS | BZ_GFP_HARDWALL)
#define BZ_GFP_DMA_ZONE        BZ_GFP_DMA /* the kernel's GFP_DMA (same bits) */
#define BZ_GFP_DMA32_ZONE      BZ_GFP_DMA32
#define BZ_GFP_HIGHUSER        (BZ_GFP_USER | BZ_GFP_HIGHMEM)
#define BZ_GFP_HIGHUSER_MOVABLE (BZ_GFP_HIGHUSER | BZ_GFP_MOVABLE | BZ_GFP_SKIP_KASAN)
#define BZ_GFP_TRANSHUGE_LIGHT ((BZ_GFP_HIGHUSER_MOVABLE | BZ_GFP_COMP | BZ_GFP_NOMEMALLOC | \
                                 BZ_GFP_NOWARN) & ~BZ_GFP_RECLAIM)
#define BZ_GFP_TRANSHUGE       (BZ_GFP_TRANSHUGE_LIGHT | BZ_GFP_DIRECT_RECLAIM)

/*
 * Formats gfp the way the kernel's "%pGg" does: combination names first, in
 * the kernel's table order, then single flags, '|'-separated, leftover bits
 * as hex (e.g. "GFP_KERNEL|__GFP_ZERO", "GFP_KERNEL|0x200"); 0 gives "".
 * The names are the kernel's, not the BZ_ ones.  Writes at most size bytes
 * including the NUL (buf may be NULL when size is 0); returns the length
 * the full text needs (like snprintf).  Thread-safe, async-signal-safe.
 */
BZ_API int bz_gfp_format(bz_gfp_t gfp, char *buf, size_t size);

/*
 * Parses text such as "GFP_KERNEL|__GFP_ZERO", "0xcc0" or "BZ_GFP_ATOMIC"
 * into *out: '|'-separated terms, blanks allowed around each, where a term
 * is a kernel name (GFP_X, __GFP_X), a BZ_GFP_X name, or a hex ("0x...")
 * or decimal number.  Names are case-sensitive.  Empty text is 0, so
 * everything bz_gfp_format writes parses back.  Returns 0, or -EINVAL (*out
 * untouched) for NULL, an unknown name, an empty term or a number that does
 * not fit.  Thread-safe.
 */
BZ_API int bz_gfp_parse(const char *text, bz_gfp_t *out);

/*
 * The highest zone index an allocation with these flags may use (the
 * kernel's gfp_zone() on x86-64): none, BZ_GFP_HIGHMEM or BZ_GFP_MOVABLE
 * alone give BZ_ZONE_NORMAL, BZ_GFP_DMA (with or without MOVABLE)
 * BZ_ZONE_DMA, BZ_GFP_DMA32 (likewise) BZ_ZONE_DMA32, and
 * BZ_GFP_HIGHMEM | BZ_GFP_MOVABLE BZ_ZONE_MOVABLE.  -EINVAL for a
 * combination the kernel's GFP_ZONE_BAD forbids (e.g. BZ_GFP_DMA |
 * BZ_GFP_DMA32).  Thread-safe, async-signal-safe.
 */
BZ_API int bz_gfp_zone(bz_gfp_t gfp);

/*
 * The migratetype an allocation with these flags gets (gfp_migratetype()):
 * BZ_MIGRATE_MOVABLE for BZ_GFP_MOVABLE, BZ_MIGRATE_RECLAIMABLE for
 * BZ_GFP_RECLAIMABLE, else BZ_MIGRATE_UNMOVABLE.  -EINVAL when both are set:
 * the kernel warns (VM_WARN_ON) and computes MIGRATE_HIGHATOMIC, a type no
 * request may ask for.  Thread-safe, async-signal-safe.
 */
BZ_API int bz_gfp_migratetype(bz_gfp_t gfp);

#ifdef __cplusplus
}
#endif
#endif /* BUDDYZONE_GFP_H */
