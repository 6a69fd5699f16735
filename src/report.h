/* SPDX-License-Identifier: MIT */
/*
 * report.h - the report layer (DESIGN.md, "Layers"): the kernel's text
 * reports (vmstat.c), the JSON report (report_json.c), the fragmentation
 * indices (extfrag.c) and the topology (topology_report.c).  Public
 * writers all; they only read, through the zone snapshot (stats.h).
 */
#ifndef BZ_REPORT_H
#define BZ_REPORT_H

#include "system.h"

/* ---- vmstat.c ---------------------------------------------------------------------------- */

/* Names of enum bz_vm_event: the kernel's vmstat names, then libbuddyzone's own. */
extern const char *const bz__vm_event_names[NR_VM_EVENTS];

#endif /* BZ_REPORT_H */
