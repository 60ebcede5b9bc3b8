package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// interruptContext returns a context canceled by the first SIGINT or
// SIGTERM, and its stop function. The command then winds down (a flare
// still loading is stopped within a second); the signals' default action
// is restored at once, so that a second one ends the process.
func interruptContext() (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return ctx, stop
}
