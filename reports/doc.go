// Package reports records what a sparkbench run measures and turns it into
// results: HDR latency histograms per scenario, node, backend, operation and
// outcome code, a per-second time series, counters, limit decisions, open-loop
// start lateness, quota pressure and HTTP status counts.
//
// Recording happens in a Recorder, one per worker, without locks. At the end
// of a run, Build merges the recorders of one run exactly into a Run, and
// NewReport wraps runs with the environment into a Report. A Report is written
// as JSON (versioned schema, histograms in HdrHistogram's V2 compressed
// encoding, so results merge exactly after a round trip), terminal text,
// Markdown, self-contained HTML with inline SVG, .hgrm percentile spectra and
// Go benchmark format lines that benchstat reads.
//
// Evaluate checks threshold expressions against a Report. Compare decides
// whether a new result regressed from a base result: paired A/B runs by
// Wilcoxon signed-rank tests on per-pair log ratios with a permutation
// (minP) adjustment over the gated metrics, other runs by Mann-Whitney U
// tests with Holm's correction; every change comes with a Hodges–Lehmann
// estimate and its confidence interval, and is flagged only beyond a
// minimum effect (stats.go explains the choices). WriteCompareText,
// -Markdown, -HTML and -JSON render a Comparison. MergeReports combines the
// results of shards run on several machines, refusing inputs that do not
// make up whole runs. ReadFile and ReadJSON check every result they read.
//
// reports knows nothing of wasm or storage beyond operation names and the
// numeric outcome codes the host reports.
package reports
