package reports

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
)

// SchemaVersion identifies the JSON layout of a Report. WriteJSON writes
// this version; a change that old readers cannot decode bumps it. ReadJSON
// also reads SchemaV1, whose files lack the fields v2 added (Env.Build,
// RunInfo.Overrides, Partial and AB), so that a newer sparkbench reads what
// an older one wrote (sparkbench ab runs the merge base's binary).
const SchemaVersion = "sparkbench.report/v2"

// SchemaV1 is the previous schema version, still read.
const SchemaV1 = "sparkbench.report/v1"

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
	// Build identifies the executable: "sha256:" and the first 16 hex
	// digits of its SHA-256. Two builds of one commit with different
	// toolchains or flags differ here and not in Version.
	Build string `json:",omitempty"`
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
		Build:      executableHash(),
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

// executableHash hashes the running executable once per process ("" if it
// cannot be read).
var executableHash = sync.OnceValue(func() string {
	path, err := os.Executable()
	if err != nil {
		return ""
	}
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))[:16]
})

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
