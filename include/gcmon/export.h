/* GCMON_EXPORT marks the functions libgcmon exports from its shared object.
 * The library is built with -fvisibility=hidden, so anything not marked
 * stays internal; static builds and users of the headers see an empty
 * macro when GCMON_BUILDING_LIBRARY is not defined. */
#ifndef GCMON_EXPORT_H
#define GCMON_EXPORT_H

#if defined(GCMON_BUILDING_LIBRARY) && defined(__GNUC__)
#define GCMON_EXPORT __attribute__((visibility("default")))
#else
#define GCMON_EXPORT
#endif

#endif
