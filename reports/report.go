package reports

import (
	"bufio"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
)

// SchemaVersion identifies the JSON layout of a Report. ReadJSON accepts only
// this version; a change that old readers cannot decode bumps it.
const SchemaVersion = "sparkbench.report/v1"

// Report is a set of runs with the environment they ran in.
type Report struct {
	Schema string
	Env    Env
	Runs   []*Run
	// Thresholds, if the runner stores its Evaluate results here before
	// writing, are shown in the Markdown and HTML reports.
	Thresholds []ThresholdResult `json:",omitempty"`
}

// Env describes the machine and binary that produced a report.
type Env struct {
	GoVersion  string
	OS, Arch   string
	CPU        string // model name from /proc/cpuinfo, if readable
	NumCPU     int
	GOMAXPROCS int
	Version    string // sparkbench module version from the build info
}

// NewReport fills Env (Go version, CPU, GOMAXPROCS, version) and wraps runs.
func NewReport(runs ...*Run) *Report {
	return &Report{Schema: SchemaVersion, Env: CurrentEnv(), Runs: runs}
}

// CurrentEnv describes the running process and machine.
func CurrentEnv() Env {
	e := Env{
		GoVersion:  runtime.Version(),
		OS:         runtime.GOOS,
		Arch:       runtime.GOARCH,
		CPU:        cpuModel(),
		NumCPU:     runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		Version:    "(devel)",
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v := bi.Main.Version; v != "" {
			e.Version = v
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 && e.Version == "(devel)" {
				e.Version = "(devel) " + s.Value[:12]
			}
		}
	}
	return e
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
