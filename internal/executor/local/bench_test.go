package local_test

import (
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/executor"
	"github.com/updraft-dev/updraft/internal/executor/local"
)

func benchKey(i int) executor.TryKey {
	return executor.TryKey{DagID: "bench", RunID: "r", TaskID: "t" + strconv.Itoa(i), MapIndex: -1, TryNumber: 1}
}

// BenchmarkSubmitTrue measures how many `true` tries per second go from
// Submit to their Finished event, keeping every slot busy and reading events
// in the same goroutine, as the scheduler does.
func BenchmarkSubmitTrue(b *testing.B) {
	ex, _ := setup(b, func(c *local.Config) { c.Parallelism = 32 })
	submitted, done := 0, 0
	handle := func(ev executor.Event) {
		if ev.Kind == executor.Finished {
			if ev.State != dag.TaskSuccess {
				b.Fatalf("try failed: %+v", ev)
			}
			done++
		}
	}

	b.ResetTimer()
	begin := time.Now()
	for done < b.N {
		for submitted < b.N && ex.FreeSlots() > 0 {
			err := ex.Submit(b.Context(), &executor.Request{Key: benchKey(submitted), Argv: []string{"true"}})
			if errors.Is(err, local.ErrNoFreeSlot) {
				break // unread events hold the room: read them first
			}
			if err != nil {
				b.Fatal(err)
			}
			submitted++
		}
		handle(<-ex.Events())
	drain:
		for {
			select {
			case ev := <-ex.Events():
				handle(ev)
			default:
				break drain
			}
		}
	}
	elapsed := time.Since(begin)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "tries/s")
}

// BenchmarkHop measures one hop of a chain of `true` tasks: from reading the
// upstream try's Finished event to the downstream process having started
// (the Started event's time), and reports its percentiles.
func BenchmarkHop(b *testing.B) {
	ex, _ := setup(b, nil)
	hops := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		upstreamDone := time.Now()
		if err := ex.Submit(b.Context(), &executor.Request{Key: benchKey(i), Argv: []string{"true"}}); err != nil {
			b.Fatal(err)
		}
		for ev := range ex.Events() {
			if ev.Kind == executor.Started {
				hops = append(hops, ev.Time.Sub(upstreamDone))
			}
			if ev.Kind == executor.Finished {
				if ev.State != dag.TaskSuccess {
					b.Fatalf("try failed: %+v", ev)
				}
				break
			}
		}
	}
	b.StopTimer()
	slices.Sort(hops)
	b.ReportMetric(float64(hops[len(hops)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(hops[len(hops)*99/100].Microseconds()), "p99-µs")
}
