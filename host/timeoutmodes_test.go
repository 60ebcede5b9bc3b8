package host

import "testing"

// TestTimeoutModesIsACopy: a caller changing the list it was given does not
// change the names the host parses and prints.
func TestTimeoutModesIsACopy(t *testing.T) {
	modes := TimeoutModes()
	if len(modes) == 0 || modes[0] != "watchdog" {
		t.Fatalf("TimeoutModes() = %v, want watchdog first", modes)
	}
	modes[0] = "changed"
	if got := TimeoutModes()[0]; got != "watchdog" || TimeoutWatchdog.String() != "watchdog" {
		t.Errorf("after changing the returned slice: TimeoutModes()[0] = %q, TimeoutWatchdog = %q", got, TimeoutWatchdog)
	}
	if m, err := ParseTimeoutMode("watchdog"); err != nil || m != TimeoutWatchdog {
		t.Errorf("ParseTimeoutMode(watchdog) = %v, %v", m, err)
	}
}
