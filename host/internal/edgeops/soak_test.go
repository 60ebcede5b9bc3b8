package edgeops

import (
	"os"
	"sync"
	"testing"
	"time"
)

// TestSoakIDsUniqueAcrossGoroutines draws ULIDs, snowflakes and UUIDs from the
// process-wide generators on many goroutines: no duplicate, and each
// goroutine sees its ULIDs and snowflakes strictly increasing. With
// SPARKBENCH_SOAK=1 it runs for ten seconds instead of a fixed count.
func TestSoakIDsUniqueAcrossGoroutines(t *testing.T) {
	const goroutines = 8
	each := 3000
	var deadline time.Time
	if os.Getenv("SPARKBENCH_SOAK") == "1" {
		deadline = time.Now().Add(10 * time.Second)
	}
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ids []string
			var lastULID string
			var lastSnowN int64
			for i := 0; i < each || time.Now().Before(deadline); i++ {
				u, _ := ULID()
				if string(u) <= lastULID {
					t.Errorf("ULID %s not after %s", u, lastULID)
					return
				}
				lastULID = string(u)
				n := defaultSnowflake.Next()
				if n <= lastSnowN {
					t.Errorf("snowflake %d not after %d", n, lastSnowN)
					return
				}
				lastSnowN = n
				v4, _ := UUID(nil)
				ids = append(ids, string(u), string(v4))
			}
			mu.Lock()
			defer mu.Unlock()
			for _, id := range ids {
				if seen[id] {
					t.Errorf("duplicate id %s", id)
				}
				seen[id] = true
			}
		}()
	}
	wg.Wait()
}
