// Package harness provides what the benchmark harnesses of bench/echo,
// bench/fs and bench/proxy share: the schedule of alternating rounds, a
// run's status, the medians of each implementation in each scenario, the
// report's number formats, bar charts, the description of the machine,
// the files a harness reads and writes, and the parts of its meta and
// main that are the same in every harness.
//
// A harness measures implementations (weft and its rivals) in
// scenarios. It runs every scenario on every implementation, round after
// round, each run a fresh process; [Schedule] turns the implementations
// one further each round, so that none always runs first or last, and
// [RunAll] makes the runs and prints a line about each. The harness's own
// run type embeds a [Status], which says whether the run failed and
// why, and names itself with a [Key]: that makes it a [Run]. [NewTable]
// reduces the runs of one scenario to each implementation's [Stat] per
// metric, over the runs that did not fail, and keeps the runs by round
// for targets judged round by round ([InRounds]); a report's [Section]
// is a scenario with its table, and [SeriesOf] turns sections into a
// chart's bars, colored alike in every harness ([Palette]).
//
// What is specific to a harness stays in it: its scenarios, how it makes
// a run and what the run measures, its targets and the words of its
// report. The report is written through [Files.Write], which needs the
// harness's report to draw its charts, write its markdown and sum it up
// ([Report]); [Files.Load] and [Files.Save] read and write every run's
// figures as JSON, so that a report can be written again from them
// (-from) without running anything. [Results] is what they hold: the
// harness's meta, which begins with a [Stamp] and ends with a [Span], and
// its runs.
//
// Everything here runs on the harness's one goroutine; nothing is safe
// for concurrent use, and nothing costs more than the files and plots it
// writes. The machine's description reads /proc on Linux; elsewhere it
// says "unknown".
package harness
