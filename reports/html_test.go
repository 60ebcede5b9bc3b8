package reports

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteHTMLGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteHTML(&buf, fixtureReport("memory", "bbolt")); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, bad := range []string{"http://", "https://", "<script", "@import", "url("} {
		// The SVG namespace is the only URL allowed: it is an identifier.
		if strings.Count(out, bad) != strings.Count(out, bad+"www.w3.org/2000/svg") {
			t.Errorf("HTML references %q: must be self-contained", bad)
		}
	}
	for _, id := range []string{"spectrum-0", "throughput-0", "p99-0", "quota-0", "spectrum-1", "compare-p99"} {
		if !strings.Contains(out, `id="`+id+`"`) {
			t.Errorf("chart %s missing", id)
		}
	}
	golden(t, "report.html", buf.Bytes())
}

// TestHTMLInChromium renders the report in headless Chromium, checks that
// a screenshot is produced and that the DOM Chromium built has the charts.
// Skipped when chromium is not installed. SPARKBENCH_HTML_OUT=dir keeps the
// page and screenshot for a look.
func TestHTMLInChromium(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium not installed")
	}
	if testing.Short() {
		t.Skip("-short")
	}
	dir := t.TempDir()
	if keep := os.Getenv("SPARKBENCH_HTML_OUT"); keep != "" {
		dir = keep
	}
	page := filepath.Join(dir, "report.html")
	var buf bytes.Buffer
	if err := WriteHTML(&buf, fixtureReport("memory", "bbolt", "pebble")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(page)
	common := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir=" + t.TempDir()}
	shot := filepath.Join(dir, "report.png")
	cmd := exec.Command(chromium, append(common, "--screenshot="+shot, "--window-size=1400,3000", "file://"+abs)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium screenshot: %v\n%s", err, out)
	}
	if st, err := os.Stat(shot); err != nil || st.Size() < 10000 {
		t.Fatalf("screenshot: %v", err)
	}
	dom, err := exec.Command(chromium, append(common, "--dump-dom", "file://"+abs)...).Output()
	if err != nil {
		t.Fatalf("chromium dump-dom: %v", err)
	}
	if n := strings.Count(string(dom), `<svg class="chart"`); n != 3*4+2 {
		t.Fatalf("DOM has %d charts, want 14", n)
	}
	if !strings.Contains(string(dom), "<path d=\"M") {
		t.Fatal("DOM charts have no lines")
	}
}
