# Test registry: one line per tests/test_<name>.c.
# The installed tree, seen from a downstream project (tests/consumer); the
# consumer is built with the compiler and sanitizers of the library.
add_test(NAME install_consumer COMMAND ${CMAKE_COMMAND} -E env "CC=${CMAKE_C_COMPILER}"
  "BZ_SANITIZE=${BZ_SANITIZE}" bash ${CMAKE_CURRENT_SOURCE_DIR}/test_install.sh
  ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
set_tests_properties(install_consumer PROPERTIES TIMEOUT 300 LABELS install)
bz_test(reports)
bz_test(gfp)
bz_test(linux_h)
bz_test(buddy)
# topology.c, topology_report.c: the XML exports are found through
# BUDDYZONE_TOPOLOGIES, else the path compiled in.
bz_internal_test(topology)
target_compile_definitions(test_topology PRIVATE
  BZ_TOPOLOGIES_DIR="${PROJECT_SOURCE_DIR}/tests/topologies")
set_tests_properties(topology PROPERTIES
  ENVIRONMENT "BUDDYZONE_TOPOLOGIES=${PROJECT_SOURCE_DIR}/tests/topologies")
# arena.c: may raise /proc/sys/vm/nr_hugepages for a while (restored), so alone.
bz_internal_test(arena)
set_tests_properties(arena PROPERTIES RUN_SERIAL TRUE)
bz_test(badinput)
bz_test(stress)
bz_internal_test(watermark)
bz_test(sysctl)
bz_test(pcp)
bz_internal_test(debug)
bz_test(fault_inject)
bz_test(extfrag)
# stats_shm.c, read through bzstat's own reader (tools/stats_reader.c).
bz_internal_test(stats ${PROJECT_SOURCE_DIR}/tools/stats_reader.c)
bz_test(mempolicy)
bz_test(numa)
bz_test(page_ref)
bz_test(page_ref_stress)
bz_internal_test(page_ref_check)
# mm_init.c: zones given as /proc/zoneinfo shows them (managed/present/spanned@start_pfn, cpus=N).
bz_test(layout)
# pfn_control.c: blocks by pfn for bzreplay, and the tracepoint counts of bz_zone_stats.
bz_test(pfn_control)
# bzreplay's replay with compaction on and off (tools/replay_run.c, replay_movable.c)
# of tests/data/trace-fragmenting.txt.xz (tools/gen_frag_trace.sh).
set(BZ_REPLAY_SOURCES trace snapshot seed run movable report)
list(TRANSFORM BZ_REPLAY_SOURCES PREPEND ${PROJECT_SOURCE_DIR}/tools/replay_)
list(TRANSFORM BZ_REPLAY_SOURCES APPEND .c)
bz_test(replay_compaction ${BZ_REPLAY_SOURCES} ${PROJECT_SOURCE_DIR}/tools/procfs.c)
# bzreplay on tests/data: a synthetic trace, a real 6.18 trace with its /proc
# snapshots (both modes), trace.dat against its text (libtracecmd), a trace that
# lost events, the CSV format and refusals, --compaction on and off on a fragmenting
# trace, and --plot (gnuplot; skipped without).
foreach(_part synthetic real tracedat loss misc compaction plot)
  add_test(NAME replay_${_part} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_replay.sh
    $<TARGET_FILE:bzreplay> ${CMAKE_CURRENT_SOURCE_DIR}/data ${_part}
    tracedat=$<IF:$<BOOL:${BZ_HAVE_TRACECMD}>,1,0>)
  set_tests_properties(replay_${_part} PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77)
endforeach()
# bzinfo --from-proc over saved /proc files of a real machine (tests/data/trace-6.18).
add_test(NAME bzinfo_from_proc COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_bzinfo.sh $<TARGET_FILE:bzinfo>
  ${CMAKE_CURRENT_SOURCE_DIR}/data)
set_tests_properties(bzinfo_from_proc PROPERTIES TIMEOUT 120)
# bzstat watching examples/stats_watch.
if(TARGET stats_watch)
  add_test(NAME bzstat COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_bzstat.sh $<TARGET_FILE:bzstat>
    $<TARGET_FILE:stats_watch>)
  set_tests_properties(bzstat PROPERTIES TIMEOUT 60)
endif()
# tools/plot_bench.sh on Google Benchmark JSON (the PNG where gnuplot is installed).
add_test(NAME plot_bench COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_plot_bench.sh
  ${PROJECT_SOURCE_DIR}/tools/plot_bench.sh ${CMAKE_CURRENT_SOURCE_DIR}/data)
set_tests_properties(plot_bench PROPERTIES TIMEOUT 60)
bz_test(reclaim)
# Movable pages, migration and compaction (migrate.c, compaction.c, movable.c).
bz_test(compaction)
# kcompactd alone: woken by requests that cannot compact, and proactive passes.
bz_test(kcompactd)
# One rule for every setting: config, then BUDDYZONE_<NAME>, then the default; bz_strerror.
bz_test(options)
# A kernel that refuses membarrier: no thread caches (its own process: registration is once).
bz_internal_test(membarrier)
bz_internal_test(reporting)
# Hugetlb memory given back, short pools, resident bytes: raises
# /proc/sys/vm/nr_hugepages for a while (restored), so alone.
bz_internal_test(hugetlb)
set_tests_properties(hugetlb PROPERTIES RUN_SERIAL TRUE)
# Loaded late with dlopen (plugins, ctypes): not linked against the library.
add_executable(test_dlopen test_dlopen.c)
target_include_directories(test_dlopen PRIVATE ${BZ_CMOCKA_INC})
target_link_libraries(test_dlopen PRIVATE ${BZ_CMOCKA_LIB} ${CMAKE_DL_LIBS})
target_compile_definitions(test_dlopen PRIVATE BZ_SHARED_LIBRARY="$<TARGET_FILE:buddyzone>")
add_dependencies(test_dlopen buddyzone)
add_test(NAME dlopen COMMAND test_dlopen)
# Node-local metadata and caches, threads placed on nodes, remote pageset expiry (issue 13).
bz_internal_test(numa_local)
set_tests_properties(numa_local PROPERTIES
  ENVIRONMENT "BUDDYZONE_TOPOLOGIES=${PROJECT_SOURCE_DIR}/tests/topologies")
# Kernel-style programs against <buddyzone/linux.h> only (tests/kernel_style/harness.h).
add_subdirectory(kernel_style)
# Contiguous ranges over movable memory (contig_alloc.c, page_isolation.c) and memory offline (memory_offline.c).
bz_test(contig)
bz_test(memory_remove)
bz_internal_test(contig_check)
bz_test(contig_linux)
