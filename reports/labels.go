package reports

import "time"

// opKind says in a few words what an operation's latency is, for the
// summary's last column: which rows are reads served from memory and which
// are durable disk writes, and how invocation and response differ.
func opKind(op Op, in RunInfo) string {
	write := "durable write (waits for the disk)"
	disk := "disk write and sync"
	switch {
	case in.Backend == "memory":
		write, disk = "write to memory (no disk)", "no disk (memory backend)"
	case !in.Durable:
		write, disk = "write, not synced (durability none)", "disk write, no sync"
	}
	switch op {
	case OpSparkGet, OpSparkList:
		return "memory read (index)"
	case OpBackendRead:
		return "memory read (index lookup only)"
	case OpSparkSet, OpSparkDelete:
		return write
	case OpBackendWrite:
		return disk
	case OpSparkPull:
		return "copy from another node, then " + write
	case OpInvocation:
		return "service time"
	case OpResponse:
		return "from the intended start"
	}
	return ""
}

// timingNote is the summary's one line on what invocation and response
// measure.
const timingNote = "response is timed from each invocation's intended start (queueing and late starts included); invocation is the service time alone"

// ratioAbove is ratio, except that a base below floor (the run's timer
// overhead: what timing one sample costs) is mostly the timer's own cost,
// so the ratio would say more about the clock than the backend: "n/a".
func ratioAbove(a, base, floor time.Duration) string {
	if floor > 0 && base > 0 && base < floor {
		return "n/a (base < timer overhead)"
	}
	return ratio(a, base)
}
