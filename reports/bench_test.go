package reports

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"
)

func TestWriteBenchGoldenAndParse(t *testing.T) {
	rep := fixtureReport("memory", "bbolt")
	var buf bytes.Buffer
	if err := WriteBench(&buf, rep); err != nil {
		t.Fatal(err)
	}
	golden(t, "bench.txt", buf.Bytes())
	// benchfmt must read every line back, with the values we wrote.
	r := benchfmt.NewReader(bytes.NewReader(buf.Bytes()), "bench.txt")
	n := 0
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.SyntaxError:
			t.Fatalf("syntax error: %v", rec)
		case *benchfmt.Result:
			n++
			if rec.Name.String() == "Spark/scenario=limiter/node=edge-fra/backend=bbolt/op=spark_set" {
				want := rep.Runs[1].Op(OpSparkSet)
				// benchfmt tidies "p99-ns" into seconds.
				if p99, ok := rec.Value("p99-sec"); !ok || math.Abs(p99*1e9-float64(want.Quantile(.99))) > 1e-3 {
					t.Errorf("p99-ns = %v, want %v", p99, want.Quantile(.99))
				}
				if rec.Iters != int(want.Count()) || rec.GetConfig("durability") != "group" {
					t.Errorf("iters %d config %q", rec.Iters, rec.GetConfig("durability"))
				}
				if _, ok := rec.Value("sec/op"); !ok {
					t.Error("ns/op not read as sec/op")
				}
			}
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 16 {
		t.Fatalf("%d results, want 16 (8 group ops x 2 backends)", n)
	}
}

func TestWriteHgrm(t *testing.T) {
	rep := fixtureReport("bbolt")
	var buf bytes.Buffer
	if err := WriteHgrm(&buf, rep.Runs[0].Op(OpSparkSet)); err != nil {
		t.Fatal(err)
	}
	golden(t, "spark_set.hgrm", buf.Bytes())
	dir := t.TempDir()
	names, err := WriteHgrmDir(dir, rep)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 8 {
		t.Fatalf("%v", names)
	}
	b, err := os.ReadFile(filepath.Join(dir, "bbolt_limiter_edge-fra_spark_set.hgrm"))
	if err != nil || !bytes.Equal(b, buf.Bytes()) {
		t.Fatalf("%v %q", err, names)
	}
	if !strings.Contains(buf.String(), "1/(1-Percentile)") || !strings.Contains(buf.String(), "#[Max") {
		t.Fatal("not hgrm")
	}
}
