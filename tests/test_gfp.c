/* SPDX-License-Identifier: MIT */
/*
 * test_gfp.c - gfp flags against the kernel (Linux 6.18, x86-64, distro
 * config): bit values and combinations (include/linux/gfp_types.h),
 * gfp_zone() for all 16 zone-modifier combinations (GFP_ZONE_TABLE and
 * GFP_ZONE_BAD in include/linux/gfp.h), gfp_migratetype(), the "%pGg" text
 * (lib/vsprintf.c format_flags() over mmflags.h's gfpflag_names, with the
 * cases of lib/tests/printf_kunit.c), truncation, and the parser.
 * Public API only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <buddyzone/buddyzone.h>

#define BAD (-EINVAL)

/* ---- values ------------------------------------------------------------- */

static void test_gfp_bits_match_kernel(void **state)
{
	(void)state;
	/* ___GFP_*_BIT enum order; 0x200 is ___GFP_UNUSED_BIT. */
	assert_int_equal(BZ_GFP_DMA, 0x01);
	assert_int_equal(BZ_GFP_HIGHMEM, 0x02);
	assert_int_equal(BZ_GFP_DMA32, 0x04);
	assert_int_equal(BZ_GFP_MOVABLE, 0x08);
	assert_int_equal(BZ_GFP_RECLAIMABLE, 0x10);
	assert_int_equal(BZ_GFP_HIGH, 0x20);
	assert_int_equal(BZ_GFP_IO, 0x40);
	assert_int_equal(BZ_GFP_FS, 0x80);
	assert_int_equal(BZ_GFP_ZERO, 0x100);
	assert_int_equal(BZ_GFP_DIRECT_RECLAIM, 0x400);
	assert_int_equal(BZ_GFP_KSWAPD_RECLAIM, 0x800);
	assert_int_equal(BZ_GFP_WRITE, 0x1000);
	assert_int_equal(BZ_GFP_NOWARN, 0x2000);
	assert_int_equal(BZ_GFP_RETRY_MAYFAIL, 0x4000);
	assert_int_equal(BZ_GFP_NOFAIL, 0x8000);
	assert_int_equal(BZ_GFP_NORETRY, 0x10000);
	assert_int_equal(BZ_GFP_MEMALLOC, 0x20000);
	assert_int_equal(BZ_GFP_COMP, 0x40000);
	assert_int_equal(BZ_GFP_NOMEMALLOC, 0x80000);
	assert_int_equal(BZ_GFP_HARDWALL, 0x100000);
	assert_int_equal(BZ_GFP_THISNODE, 0x200000);
	assert_int_equal(BZ_GFP_ACCOUNT, 0x400000);
	assert_int_equal(BZ_GFP_ZEROTAGS, 0x800000);
	assert_int_equal(BZ_GFP_NO_OBJ_EXT, 0x1000000);
	/* Compiled out without KASAN_HW_TAGS / LOCKDEP. */
	assert_int_equal(BZ_GFP_SKIP_ZERO, 0);
	assert_int_equal(BZ_GFP_SKIP_KASAN, 0);
	assert_int_equal(BZ_GFP_NOLOCKDEP, 0);
	assert_int_equal(BZ_GFP_ZONEMASK, 0xf);
	assert_int_equal(BZ_GFP_RECLAIM, 0xc00);
}

static void test_gfp_valid_mask_is_every_bit(void **state)
{
	bz_gfp_t all = BZ_GFP_DMA | BZ_GFP_HIGHMEM | BZ_GFP_DMA32 | BZ_GFP_MOVABLE |
		       BZ_GFP_RECLAIMABLE | BZ_GFP_HIGH | BZ_GFP_IO | BZ_GFP_FS |
		       BZ_GFP_ZERO | BZ_GFP_DIRECT_RECLAIM | BZ_GFP_KSWAPD_RECLAIM |
		       BZ_GFP_WRITE | BZ_GFP_NOWARN | BZ_GFP_RETRY_MAYFAIL |
		       BZ_GFP_NOFAIL | BZ_GFP_NORETRY | BZ_GFP_MEMALLOC | BZ_GFP_COMP |
		       BZ_GFP_NOMEMALLOC | BZ_GFP_HARDWALL | BZ_GFP_THISNODE |
		       BZ_GFP_ACCOUNT | BZ_GFP_ZEROTAGS | BZ_GFP_NO_OBJ_EXT;

	(void)state;
	assert_int_equal(BZ_GFP_VALID_MASK, all);
	/* __GFP_BITS_MASK of a distro 6.18 kernel (25 bits) less the unused bit. */
	assert_int_equal(BZ_GFP_VALID_MASK, ((1u << 25) - 1) & ~0x200u);
}

static void test_gfp_combinations_match_kernel(void **state)
{
	(void)state;
	assert_int_equal(BZ_GFP_KERNEL, 0xcc0);
	assert_int_equal(BZ_GFP_KERNEL_ACCOUNT, 0x400cc0);
	assert_int_equal(BZ_GFP_ATOMIC, 0x820);
	/* 6.17+ (commit 16f5dfbc851b): GFP_NOWAIT includes __GFP_NOWARN. */
	assert_int_equal(BZ_GFP_NOWAIT, 0x2800);
	assert_int_equal(BZ_GFP_NOIO, 0xc00);
	assert_int_equal(BZ_GFP_NOFS, 0xc40);
	assert_int_equal(BZ_GFP_USER, 0x100cc0);
	assert_int_equal(BZ_GFP_DMA_ZONE, 0x1);
	assert_int_equal(BZ_GFP_DMA32_ZONE, 0x4);
	assert_int_equal(BZ_GFP_HIGHUSER, 0x100cc2);
	assert_int_equal(BZ_GFP_HIGHUSER_MOVABLE, 0x100cca);
	assert_int_equal(BZ_GFP_TRANSHUGE_LIGHT, 0x1c20ca);
	assert_int_equal(BZ_GFP_TRANSHUGE, 0x1c24ca);
}

/* ---- gfp_zone --------------------------------------------------------------- */

static void test_gfp_zone_table_all_16_combinations(void **state)
{
	/* The comment table above GFP_ZONE_TABLE, read for x86-64 (no HIGHMEM). */
	static const int want[16] = {
		[0x0] = BZ_ZONE_NORMAL,
		[0x1] = BZ_ZONE_DMA,
		[0x2] = BZ_ZONE_NORMAL,   /* HIGHMEM or NORMAL */
		[0x3] = BAD,              /* DMA+HIGHMEM */
		[0x4] = BZ_ZONE_DMA32,
		[0x5] = BAD,              /* DMA+DMA32 */
		[0x6] = BAD,              /* HIGHMEM+DMA32 */
		[0x7] = BAD,
		[0x8] = BZ_ZONE_NORMAL,   /* MOVABLE+0 */
		[0x9] = BZ_ZONE_DMA,      /* MOVABLE+DMA */
		[0xa] = BZ_ZONE_MOVABLE,  /* MOVABLE+HIGHMEM */
		[0xb] = BAD,
		[0xc] = BZ_ZONE_DMA32,    /* MOVABLE+DMA32 */
		[0xd] = BAD,
		[0xe] = BAD,
		[0xf] = BAD,
	};

	(void)state;
	for (unsigned bit = 0; bit < 16; bit++) {
		int got = bz_gfp_zone(bit);

		if (got != want[bit])
			fail_msg("gfp_zone(0x%x) = %d, want %d", bit, got, want[bit]);
	}
}

static void test_gfp_zone_ignores_other_bits(void **state)
{
	(void)state;
	assert_int_equal(bz_gfp_zone(BZ_GFP_KERNEL), BZ_ZONE_NORMAL);
	assert_int_equal(bz_gfp_zone(BZ_GFP_ATOMIC), BZ_ZONE_NORMAL);
	assert_int_equal(bz_gfp_zone(BZ_GFP_HIGHUSER), BZ_ZONE_NORMAL);
	assert_int_equal(bz_gfp_zone(BZ_GFP_HIGHUSER_MOVABLE), BZ_ZONE_MOVABLE);
	assert_int_equal(bz_gfp_zone(BZ_GFP_TRANSHUGE), BZ_ZONE_MOVABLE);
	assert_int_equal(bz_gfp_zone(BZ_GFP_KERNEL | BZ_GFP_DMA), BZ_ZONE_DMA);
	assert_int_equal(bz_gfp_zone(BZ_GFP_KERNEL | BZ_GFP_DMA32), BZ_ZONE_DMA32);
	assert_int_equal(bz_gfp_zone(BZ_GFP_KERNEL | BZ_GFP_MOVABLE), BZ_ZONE_NORMAL);
	assert_int_equal(bz_gfp_zone(0xfffffff0u), BZ_ZONE_NORMAL);
	assert_int_equal(bz_gfp_zone(BZ_GFP_KERNEL | BZ_GFP_DMA | BZ_GFP_DMA32), BAD);
	assert_int_equal(bz_gfp_zone(0xffffffffu), BAD);
}

/* ---- gfp_migratetype ------------------------------------------------------------ */

static void test_gfp_migratetype_from_mobility_bits(void **state)
{
	(void)state;
	assert_int_equal(bz_gfp_migratetype(0), BZ_MIGRATE_UNMOVABLE);
	assert_int_equal(bz_gfp_migratetype(BZ_GFP_KERNEL), BZ_MIGRATE_UNMOVABLE);
	assert_int_equal(bz_gfp_migratetype(BZ_GFP_MOVABLE), BZ_MIGRATE_MOVABLE);
	assert_int_equal(bz_gfp_migratetype(BZ_GFP_HIGHUSER_MOVABLE), BZ_MIGRATE_MOVABLE);
	assert_int_equal(bz_gfp_migratetype(BZ_GFP_TRANSHUGE), BZ_MIGRATE_MOVABLE);
	assert_int_equal(bz_gfp_migratetype(BZ_GFP_RECLAIMABLE), BZ_MIGRATE_RECLAIMABLE);
	assert_int_equal(bz_gfp_migratetype(BZ_GFP_KERNEL | BZ_GFP_RECLAIMABLE),
			 BZ_MIGRATE_RECLAIMABLE);
	/* Zone bits other than MOVABLE do not matter. */
	assert_int_equal(bz_gfp_migratetype(BZ_GFP_DMA32 | BZ_GFP_HIGHMEM | BZ_GFP_DMA),
			 BZ_MIGRATE_UNMOVABLE);
	assert_int_equal(bz_gfp_migratetype(~(BZ_GFP_MOVABLE | BZ_GFP_RECLAIMABLE)),
			 BZ_MIGRATE_UNMOVABLE);
}

static void test_gfp_migratetype_both_bits_rejected(void **state)
{
	(void)state;
	/* The kernel warns and would compute MIGRATE_HIGHATOMIC (3). */
	assert_int_equal(bz_gfp_migratetype(BZ_GFP_MOVABLE | BZ_GFP_RECLAIMABLE), BAD);
	assert_int_equal(bz_gfp_migratetype(BZ_GFP_HIGHUSER_MOVABLE | BZ_GFP_RECLAIMABLE), BAD);
}

/* ---- format ----------------------------------------------------------------------- */

static void expect_format(bz_gfp_t gfp, const char *want)
{
	char buf[512];
	int n;

	memset(buf, '#', sizeof(buf));
	n = bz_gfp_format(gfp, buf, sizeof(buf));
	if (strcmp(buf, want) != 0)
		fail_msg("format(0x%x) = \"%s\", want \"%s\"", gfp, buf, want);
	assert_int_equal(n, (int)strlen(want));
}

static void test_gfp_format_printf_kunit_cases(void **state)
{
	(void)state;
	/* lib/tests/printf_kunit.c, flags(). */
	expect_format(BZ_GFP_TRANSHUGE, "GFP_TRANSHUGE");
	expect_format(BZ_GFP_ATOMIC | BZ_GFP_DMA, "GFP_ATOMIC|GFP_DMA");
	expect_format(BZ_GFP_HIGH, "__GFP_HIGH");
	/* ~__GFP_BITS_MASK prints as "%#lx"; with __GFP_HIGH in front. */
	expect_format(~((1u << 25) - 1), "0xfe000000");
	expect_format(~((1u << 25) - 1) | BZ_GFP_HIGH, "__GFP_HIGH|0xfe000000");
}

static void test_gfp_format_combinations(void **state)
{
	(void)state;
	expect_format(BZ_GFP_KERNEL, "GFP_KERNEL");
	expect_format(BZ_GFP_KERNEL_ACCOUNT, "GFP_KERNEL_ACCOUNT");
	expect_format(BZ_GFP_ATOMIC, "GFP_ATOMIC");
	expect_format(BZ_GFP_NOWAIT, "GFP_NOWAIT");
	expect_format(BZ_GFP_NOIO, "GFP_NOIO"); /* before __GFP_RECLAIM */
	expect_format(BZ_GFP_NOFS, "GFP_NOFS");
	expect_format(BZ_GFP_USER, "GFP_USER");
	expect_format(BZ_GFP_HIGHUSER, "GFP_HIGHUSER");
	expect_format(BZ_GFP_HIGHUSER_MOVABLE, "GFP_HIGHUSER_MOVABLE");
	expect_format(BZ_GFP_TRANSHUGE_LIGHT, "GFP_TRANSHUGE_LIGHT");
	expect_format(BZ_GFP_DMA_ZONE, "GFP_DMA");
	expect_format(BZ_GFP_DMA32_ZONE, "GFP_DMA32");
}

static void test_gfp_format_mixed_masks(void **state)
{
	(void)state;
	expect_format(BZ_GFP_KERNEL | BZ_GFP_ZERO, "GFP_KERNEL|__GFP_ZERO");
	expect_format(BZ_GFP_KERNEL | BZ_GFP_DMA32, "GFP_KERNEL|GFP_DMA32");
	expect_format(BZ_GFP_KERNEL | BZ_GFP_HIGH, "GFP_KERNEL|__GFP_HIGH");
	expect_format(BZ_GFP_KERNEL | BZ_GFP_NOWARN | BZ_GFP_NORETRY,
		      "GFP_KERNEL|__GFP_NOWARN|__GFP_NORETRY");
	expect_format(BZ_GFP_USER | BZ_GFP_ACCOUNT, "GFP_USER|__GFP_ACCOUNT");
	expect_format(BZ_GFP_ATOMIC | BZ_GFP_NOWARN, "GFP_ATOMIC|__GFP_NOWARN");
	/* Single bits print in bit order (TRACE_GFP_FLAGS, 2025): ZERO, then COMP. */
	expect_format(0x140dca, "GFP_HIGHUSER_MOVABLE|__GFP_ZERO|__GFP_COMP");
	expect_format(BZ_GFP_HIGHUSER_MOVABLE | BZ_GFP_COMP, "GFP_HIGHUSER_MOVABLE|__GFP_COMP");
	expect_format(BZ_GFP_TRANSHUGE_LIGHT | BZ_GFP_KSWAPD_RECLAIM,
		      "GFP_TRANSHUGE_LIGHT|__GFP_KSWAPD_RECLAIM");
	expect_format(BZ_GFP_TRANSHUGE_LIGHT | BZ_GFP_DIRECT_RECLAIM, "GFP_TRANSHUGE");
	expect_format(BZ_GFP_DIRECT_RECLAIM, "__GFP_DIRECT_RECLAIM");
	expect_format(BZ_GFP_KSWAPD_RECLAIM, "__GFP_KSWAPD_RECLAIM");
	expect_format(BZ_GFP_MOVABLE | BZ_GFP_RECLAIMABLE, "__GFP_MOVABLE|__GFP_RECLAIMABLE");
	expect_format(BZ_GFP_ZEROTAGS, "__GFP_ZEROTAGS");
	expect_format(BZ_GFP_KERNEL | BZ_GFP_NO_OBJ_EXT, "GFP_KERNEL|__GFP_NO_OBJ_EXT");
	expect_format(BZ_GFP_VALID_MASK,
		      "GFP_TRANSHUGE|GFP_ATOMIC|GFP_DMA|GFP_DMA32|__GFP_RECLAIMABLE|"
		      "__GFP_ZERO|__GFP_WRITE|__GFP_RETRY_MAYFAIL|__GFP_NOFAIL|"
		      "__GFP_NORETRY|__GFP_MEMALLOC|__GFP_THISNODE|__GFP_ACCOUNT|"
		      "__GFP_ZEROTAGS|__GFP_NO_OBJ_EXT");
}

static void test_gfp_format_zero_is_empty(void **state)
{
	char buf[8] = "xxxxxxx";

	(void)state;
	assert_int_equal(bz_gfp_format(0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
}

static void test_gfp_format_unknown_bits_as_hex(void **state)
{
	(void)state;
	expect_format(0x200, "0x200");
	expect_format(BZ_GFP_KERNEL | 0x200, "GFP_KERNEL|0x200");
	expect_format(BZ_GFP_KERNEL | 0x80000000u, "GFP_KERNEL|0x80000000");
	expect_format(0xffffffffu,
		      "GFP_TRANSHUGE|GFP_ATOMIC|GFP_DMA|GFP_DMA32|__GFP_RECLAIMABLE|"
		      "__GFP_ZERO|__GFP_WRITE|__GFP_RETRY_MAYFAIL|__GFP_NOFAIL|"
		      "__GFP_NORETRY|__GFP_MEMALLOC|__GFP_THISNODE|__GFP_ACCOUNT|"
		      "__GFP_ZEROTAGS|__GFP_NO_OBJ_EXT|0xfe000200");
}

static void test_gfp_format_truncates_like_snprintf(void **state)
{
	const char *full = "GFP_KERNEL|__GFP_ZERO";
	int len = (int)strlen(full);
	char buf[64];

	(void)state;
	assert_int_equal(bz_gfp_format(BZ_GFP_KERNEL | BZ_GFP_ZERO, NULL, 0), len);

	for (int size = 1; size <= len + 1; size++) {
		memset(buf, '#', sizeof(buf));
		assert_int_equal(bz_gfp_format(BZ_GFP_KERNEL | BZ_GFP_ZERO, buf,
					       (size_t)size), len);
		assert_int_equal(strlen(buf), (size_t)size - 1);
		assert_memory_equal(buf, full, (size_t)size - 1);
		assert_int_equal(buf[size], '#'); /* nothing past size */
	}

	/* Truncation inside the hex tail too. */
	memset(buf, '#', sizeof(buf));
	assert_int_equal(bz_gfp_format(BZ_GFP_KERNEL | 0x200, buf, 14), 16);
	assert_string_equal(buf, "GFP_KERNEL|0x");
	assert_int_equal(buf[14], '#');
}

static void test_gfp_format_size_zero_writes_nothing(void **state)
{
	char buf[4] = "abc";

	(void)state;
	assert_int_equal(bz_gfp_format(BZ_GFP_ATOMIC, buf, 0), (int)strlen("GFP_ATOMIC"));
	assert_string_equal(buf, "abc");
}

/* ---- parse ------------------------------------------------------------------------- */

static void expect_parse(const char *text, bz_gfp_t want)
{
	bz_gfp_t got = 0xdeadbeefu;
	int rc = bz_gfp_parse(text, &got);

	if (rc != 0)
		fail_msg("parse(\"%s\") = %d, want 0", text, rc);
	if (got != want)
		fail_msg("parse(\"%s\") = 0x%x, want 0x%x", text, got, want);
}

static void expect_parse_error(const char *text)
{
	bz_gfp_t got = 0x1234u;
	int rc = bz_gfp_parse(text, &got);

	if (rc != -EINVAL)
		fail_msg("parse(\"%s\") = %d (0x%x), want -EINVAL", text, rc, got);
	assert_int_equal(got, 0x1234u); /* untouched on error */
}

static void test_gfp_parse_kernel_names(void **state)
{
	(void)state;
	expect_parse("GFP_KERNEL", 0xcc0);
	expect_parse("GFP_KERNEL|__GFP_ZERO", 0xdc0);
	expect_parse("GFP_ATOMIC", 0x820);
	expect_parse("GFP_NOWAIT", 0x2800);
	expect_parse("GFP_HIGHUSER_MOVABLE", 0x100cca);
	expect_parse("GFP_TRANSHUGE_LIGHT", 0x1c20ca);
	expect_parse("GFP_TRANSHUGE", 0x1c24ca);
	expect_parse("GFP_DMA", 0x1);
	expect_parse("GFP_DMA32", 0x4);
	expect_parse("__GFP_DMA32", 0x4);
	expect_parse("__GFP_RECLAIM", 0xc00);
	expect_parse("__GFP_ZEROTAGS", 0x800000);
	expect_parse("__GFP_NO_OBJ_EXT", 0x1000000);
	expect_parse("GFP_ZONEMASK", 0xf);
	/* Names that are 0 on a distro kernel still parse. */
	expect_parse("GFP_KERNEL|__GFP_SKIP_KASAN|__GFP_NOLOCKDEP|__GFP_SKIP_ZERO", 0xcc0);
}

static void test_gfp_parse_bz_names(void **state)
{
	(void)state;
	expect_parse("BZ_GFP_KERNEL", BZ_GFP_KERNEL);
	expect_parse("BZ_GFP_ATOMIC|BZ_GFP_ZERO", BZ_GFP_ATOMIC | BZ_GFP_ZERO);
	expect_parse("BZ_GFP_DMA", BZ_GFP_DMA);
	expect_parse("BZ_GFP_DMA_ZONE", BZ_GFP_DMA_ZONE);
	expect_parse("BZ_GFP_DMA32_ZONE", BZ_GFP_DMA32_ZONE);
	expect_parse("BZ_GFP_RECLAIM", BZ_GFP_RECLAIM);
	expect_parse("BZ_GFP_KSWAPD_RECLAIM", BZ_GFP_KSWAPD_RECLAIM);
	expect_parse("BZ_GFP_HIGHUSER_MOVABLE", BZ_GFP_HIGHUSER_MOVABLE);
	expect_parse("BZ_GFP_ZEROTAGS", BZ_GFP_ZEROTAGS);
	expect_parse("BZ_GFP_ZONEMASK", BZ_GFP_ZONEMASK);
	expect_parse("GFP_USER|BZ_GFP_ACCOUNT|__GFP_NOWARN",
		     BZ_GFP_USER | BZ_GFP_ACCOUNT | BZ_GFP_NOWARN);
}

static void test_gfp_parse_numbers_and_blanks(void **state)
{
	(void)state;
	expect_parse("0xcc0", 0xcc0);
	expect_parse("0XCC0", 0xcc0);
	expect_parse("3264", 0xcc0);
	expect_parse("0", 0);
	expect_parse("0xffffffff", 0xffffffffu);
	expect_parse("4294967295", 0xffffffffu);
	expect_parse("GFP_KERNEL|0x200", 0xec0);
	expect_parse("  GFP_KERNEL  |\t__GFP_ZERO\n", 0xdc0);
	expect_parse("GFP_KERNEL| 0x100", 0xdc0);
	expect_parse("", 0);
	expect_parse("   ", 0);
}

static void test_gfp_parse_errors(void **state)
{
	bz_gfp_t out;

	(void)state;
	assert_int_equal(bz_gfp_parse(NULL, &out), -EINVAL);
	assert_int_equal(bz_gfp_parse("GFP_KERNEL", NULL), -EINVAL);
	expect_parse_error("GFP_BOGUS");
	expect_parse_error("gfp_kernel");             /* names are case-sensitive */
	expect_parse_error("GFP_KERNEL|");
	expect_parse_error("|GFP_KERNEL");
	expect_parse_error("|");
	expect_parse_error("GFP_KERNEL||__GFP_ZERO");
	expect_parse_error("GFP_KERNEL __GFP_ZERO");  /* missing '|' */
	expect_parse_error("GFP_KERNELX");
	expect_parse_error("GFP_KERNE");
	expect_parse_error("__GFP_KERNEL");           /* combinations have no __ */
	expect_parse_error("GFP_ZERO");               /* single bits need __ */
	expect_parse_error("BZ_GFP_");
	expect_parse_error("BZ___GFP_ZERO");
	expect_parse_error("BZ_GFP_BOGUS");
	expect_parse_error("0x");
	expect_parse_error("0x1g");
	expect_parse_error("12a");
	expect_parse_error("-1");
	expect_parse_error("0x100000000");
	expect_parse_error("4294967296");
	expect_parse_error("99999999999999999999999");
}

/* Every mask bz_gfp_format writes parses back to the same mask. */
static void expect_round_trip(bz_gfp_t gfp)
{
	char buf[512];
	bz_gfp_t back = ~gfp;
	int n = bz_gfp_format(gfp, buf, sizeof(buf));

	assert_true(n >= 0 && (size_t)n < sizeof(buf));
	if (bz_gfp_parse(buf, &back) != 0 || back != gfp)
		fail_msg("0x%x -> \"%s\" -> 0x%x", gfp, buf, back);
}

static void test_gfp_parse_round_trips_format(void **state)
{
	static const bz_gfp_t named[] = {
		0, BZ_GFP_KERNEL, BZ_GFP_KERNEL_ACCOUNT, BZ_GFP_ATOMIC, BZ_GFP_NOWAIT,
		BZ_GFP_NOIO, BZ_GFP_NOFS, BZ_GFP_USER, BZ_GFP_HIGHUSER,
		BZ_GFP_HIGHUSER_MOVABLE, BZ_GFP_TRANSHUGE_LIGHT, BZ_GFP_TRANSHUGE,
		BZ_GFP_VALID_MASK, 0xffffffffu, 0x200, 0x140dca,
	};
	uint32_t x = 12345;

	(void)state;
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		expect_round_trip(named[i]);
	for (unsigned b = 0; b < 32; b++) {
		expect_round_trip(1u << b);
		expect_round_trip(BZ_GFP_KERNEL | (1u << b));
		expect_round_trip(BZ_GFP_HIGHUSER_MOVABLE ^ (1u << b));
	}
	for (unsigned v = 0; v < 0x10000; v++)   /* every subset of the low 16 bits */
		expect_round_trip(v);
	for (int i = 0; i < 20000; i++) {        /* and a fixed pseudo-random sample */
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		expect_round_trip(x);
		expect_round_trip(x & BZ_GFP_VALID_MASK);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gfp_bits_match_kernel),
		cmocka_unit_test(test_gfp_valid_mask_is_every_bit),
		cmocka_unit_test(test_gfp_combinations_match_kernel),
		cmocka_unit_test(test_gfp_zone_table_all_16_combinations),
		cmocka_unit_test(test_gfp_zone_ignores_other_bits),
		cmocka_unit_test(test_gfp_migratetype_from_mobility_bits),
		cmocka_unit_test(test_gfp_migratetype_both_bits_rejected),
		cmocka_unit_test(test_gfp_format_printf_kunit_cases),
		cmocka_unit_test(test_gfp_format_combinations),
		cmocka_unit_test(test_gfp_format_mixed_masks),
		cmocka_unit_test(test_gfp_format_zero_is_empty),
		cmocka_unit_test(test_gfp_format_unknown_bits_as_hex),
		cmocka_unit_test(test_gfp_format_truncates_like_snprintf),
		cmocka_unit_test(test_gfp_format_size_zero_writes_nothing),
		cmocka_unit_test(test_gfp_parse_kernel_names),
		cmocka_unit_test(test_gfp_parse_bz_names),
		cmocka_unit_test(test_gfp_parse_numbers_and_blanks),
		cmocka_unit_test(test_gfp_parse_errors),
		cmocka_unit_test(test_gfp_parse_round_trips_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
