// Package debugbuild says whether weft's debugging hooks (stall detector,
// creation sites, metrics counters, deterministic simulation) are compiled in.
//
// They are, unless the build tag weft_nodebug is given. Every hook site reads
// Enabled before anything else, so a build with the tag compiles the sites
// away; that build is the baseline against which the cost of the hooks when
// switched off is measured (docs/benchmarks.md).
package debugbuild
