package debug_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"expvar"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/weftio/weft/debug"
)

// TestMetrics_ReadPrometheusExpvar reads the metrics of a loop whose four
// fibers are parked, one of them on a timer, while its main fiber is in a
// Blocking call on the shared offload pool: as a struct, as Prometheus
// text and through expvar.
func TestMetrics_ReadPrometheusExpvar(t *testing.T) {
	var (
		m    debug.Metrics
		all  []debug.Metrics
		prom bytes.Buffer
		vars string
		id   uint64
	)
	runParkedScene(t, func(s *parkedScene) {
		id = s.loop.ID()
		m, all = debug.Read(s.loop), debug.ReadAll()
		if err := debug.WritePrometheus(&prom); err != nil {
			t.Error(err)
		}
		vars = expvar.Get("weft").String()
	})
	if m.Loop != id || m.Fibers != 4 || m.Parked != 4 || m.TimersPending != 1 || m.Tasks == 0 {
		t.Errorf("Read: loop %d, %d fibers, %d parked, %d timers, %d tasks; want loop %d, 4, 4, 1, some",
			m.Loop, m.Fibers, m.Parked, m.TimersPending, m.Tasks, id)
	}
	if m.Offload.Busy != 1 || m.Offload.Workers < 1 {
		t.Errorf("offload: %d busy, %d workers; want the Blocking call running", m.Offload.Busy, m.Offload.Workers)
	}
	found := false
	for _, a := range all {
		if a.Loop == id {
			found = a.Fibers == 4 && a.Parked == 4
		}
	}
	if !found {
		t.Errorf("ReadAll does not have loop %d with 4 parked fibers: %+v", id, all)
	}

	samples := parsePrometheus(t, prom.String())
	l := fmt.Sprintf(`{loop="%d"}`, id)
	for name, want := range map[string]float64{
		"weft_loop_fibers" + l:        4,
		"weft_loop_fibers_parked" + l: 4,
		"weft_loop_timers_armed" + l:  1,
		"weft_loop_stalls_total" + l:  0,
		"weft_offload_busy":           1,
	} {
		if got, ok := samples[name]; !ok || got != want {
			t.Errorf("%s = %v (present: %v), want %v", name, got, ok, want)
		}
	}
	if samples["weft_loop_tasks_total"+l] < 1 || samples["weft_loop_turns_total"+l] < 1 {
		t.Errorf("tasks and turns not counted:\n%s", prom.String())
	}

	var fromVars []debug.Metrics
	if err := json.Unmarshal([]byte(vars), &fromVars); err != nil {
		t.Fatalf("expvar weft: %v\n%s", err, vars)
	}
	found = false
	for _, a := range fromVars {
		found = found || (a.Loop == id && a.Fibers == 4 && a.Parked == 4)
	}
	if !found {
		t.Errorf("expvar weft does not have loop %d with 4 parked fibers: %s", id, vars)
	}
}

// parsePrometheus checks that text is in the Prometheus text format (each
// sample's family announced by a TYPE line, values numbers, histogram
// buckets cumulative) and returns its samples by name and labels.
func parsePrometheus(t *testing.T, text string) map[string]float64 {
	t.Helper()
	samples := map[string]float64{}
	types := map[string]string{}
	lastBucket := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "# TYPE ") {
			f := strings.Fields(line)
			if len(f) != 4 {
				t.Fatalf("bad TYPE line %q", line)
			}
			types[f[2]] = f[3]
			continue
		}
		if strings.HasPrefix(line, "# HELP ") {
			continue
		}
		key, val, ok := strings.Cut(line, " ")
		if !ok {
			t.Fatalf("bad sample line %q", line)
		}
		v, err := strconv.ParseFloat(val, 64)
		if err != nil {
			t.Fatalf("bad value in %q: %v", line, err)
		}
		name, labels, _ := strings.Cut(key, "{")
		family := name
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			if base, ok := strings.CutSuffix(name, suf); ok && types[base] == "histogram" {
				family = base
			}
		}
		if types[family] == "" {
			t.Fatalf("sample %q before its TYPE line", line)
		}
		if strings.HasSuffix(name, "_bucket") {
			series := name + "{" + labels[:strings.Index(labels, "le=")]
			if v < lastBucket[series] {
				t.Fatalf("bucket %q below the one before it", line)
			}
			lastBucket[series] = v
		}
		if _, dup := samples[key]; dup {
			t.Fatalf("sample %q twice", key)
		}
		samples[key] = v
	}
	return samples
}
