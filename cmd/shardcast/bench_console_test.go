package main

import (
	"slices"
	"strconv"
	"testing"
)

// BenchmarkConsoleFirstPaint: the console's overview in headless Chromium
// on loopback, served by the optimized binary (file storage): the first
// contentful paint and the time until the page shows its first heading
// (the session asked and the overview drawn), median and worst of the
// runs (-benchtime Nx: N reloads).
func BenchmarkConsoleFirstPaint(b *testing.B) {
	p := benchServer(b, "file")
	n := b.N
	b.ResetTimer()
	res := runConsole(b, p.url, "paint", "RUNS="+strconv.Itoa(n))
	b.StopTimer()
	var fcp, ready []float64
	for _, r := range res["runs"].([]any) {
		m := r.(map[string]any)
		fcp = append(fcp, m["firstContentfulPaintMs"].(float64))
		ready = append(ready, m["readyMs"].(float64))
	}
	slices.Sort(fcp)
	slices.Sort(ready)
	b.ReportMetric(fcp[len(fcp)/2], "first-paint-ms")
	b.ReportMetric(fcp[len(fcp)-1], "first-paint-worst-ms")
	b.ReportMetric(ready[len(ready)/2], "ready-ms")
	b.ReportMetric(0, "ns/op")
}
