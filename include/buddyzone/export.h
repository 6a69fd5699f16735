/* SPDX-License-Identifier: MIT */
/* export.h - BZ_API marks the symbols that leave the shared library. */
#ifndef BUDDYZONE_EXPORT_H
#define BUDDYZONE_EXPORT_H

#if defined(BZ_STATIC_DEFINE)
#define BZ_API
#elif defined(__GNUC__)
#define BZ_API __attribute__((visibility("default")))
#else
#define BZ_API
#endif

#endif /* BUDDYZONE_EXPORT_H */
