package spec

import (
	"fmt"
	"strings"
	"testing"
)

// benchDAG is a 50-task file shaped like a real pipeline: a chain of stages,
// each a fan-out of tasks with commands, env and Kubernetes fields.
func benchDAG(tasks int) []byte {
	var b strings.Builder
	b.WriteString(y(
		"dag_id: bench",
		`schedule: "0 3 * * *"`,
		"timezone: Europe/Moscow",
		"start_date: 2026-01-01",
		"params: {lr: 0.1, epochs: {default: 10, type: integer, minimum: 1}}",
		"default_args: {retries: 2, retry_delay: 5m, image: registry.example.com/x:1}",
		"tasks:",
	))
	for i := range tasks {
		fmt.Fprintf(&b, "  task_%d:\n", i)
		if i >= 5 {
			stage := i - 5 - (i-5)%5
			fmt.Fprintf(&b, "    depends_on: [task_%d, task_%d]\n", i-5, stage+(i%5+1)%5)
		}
		fmt.Fprintf(&b, "    command: [python, step.py, --n, %d, --date, \"{{ ds }}\"]\n", i)
		b.WriteString("    env: {STEP: step, LR: \"{{ params.lr }}\"}\n")
		b.WriteString("    resources: {requests: {cpu: 1, memory: 1Gi}}\n")
		b.WriteString("    trigger_rule: all_success\n")
	}
	return []byte(b.String())
}

func BenchmarkParse(b *testing.B) {
	src := benchDAG(50)
	if _, err := Parse("bench.yaml", src); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("bench.yaml", src); err != nil {
			b.Fatal(err)
		}
	}
}
