package template

import (
	"context"
	"fmt"
	"testing"
)

// A command argument without delimiters, the common case.
func BenchmarkRenderPlain(b *testing.B) {
	r := NewRenderer()
	ctx := context.Background()
	tc := newContext(nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Render(ctx, "/opt/ml/processing/input/dataset", tc); err != nil {
			b.Fatal(err)
		}
	}
}

// The most common template, with the cache warm.
func BenchmarkRenderDs(b *testing.B) {
	r := NewRenderer()
	ctx := context.Background()
	tc := newContext(nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Render(ctx, "{{ ds }}", tc); err != nil {
			b.Fatal(err)
		}
	}
}

const benchCommand = "python train.py --date {{ ds }} --lr {{ params.learning_rate }} " +
	"--since {{ macros.ds_add(ds, -7) }} --run {{ run_id }} --bucket {{ var.value.bucket }}"

// A realistic command line rendered again and again, as each task try does:
// the compiled template comes from the cache.
func BenchmarkRenderCached(b *testing.B) {
	r := NewRenderer()
	ctx := context.Background()
	tc := newContext(newLookup())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Render(ctx, benchCommand, tc); err != nil {
			b.Fatal(err)
		}
	}
}

// The same command compiled each time: what the cache saves.
func BenchmarkRenderUncached(b *testing.B) {
	ctx := context.Background()
	tc := newContext(newLookup())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewRenderer().Render(ctx, benchCommand, tc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderCachedParallel(b *testing.B) {
	r := NewRenderer()
	tc := newContext(newLookup())
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			if _, err := r.Render(ctx, benchCommand, tc); err != nil {
				panic(fmt.Sprint(err))
			}
		}
	})
}
