// SPDX-License-Identifier: MIT
//
// bench_peers.h - the side-by-side benchmarks of bench_peers.cpp.
#ifndef BZ_BENCH_PEERS_H
#define BZ_BENCH_PEERS_H

// Registers every scenario for each allocator bz_bench_allocators_load()
// found, and the harness floor.  Call after loading, before running.
void bz_bench_register_peers();

#endif // BZ_BENCH_PEERS_H
