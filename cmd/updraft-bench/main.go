// Command updraft-bench measures the scheduler on the embedded SQLite store
// with the local executor, and prints the figures beside their targets:
//
//   - chain: 1,000 sequential no-op tasks (`true`); the hop latency from an
//     upstream's success being committed to the downstream's process
//     starting, p50 and p99.
//   - fanout: one run of 10,000 independent no-op tasks, 64 at a time;
//     tasks per second and the peak RSS of the process.
//   - the same fan-out on a throwaway, durable PostgreSQL server with one
//     and with three scheduler processes sharing it.
//   - with -kubeconfig, pod tasks on the Kubernetes test cluster's KWOK
//     nodes: pods per second, and updraft's own share of a pod task's time
//     (see kubernetes.go).
//
// Each scenario runs in a child process of its own, so the peak RSS of one
// is not the other's.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"strings"
	"text/tabwriter"
)

func main() {
	scenario := flag.String("scenario", "", "run one scenario in this process and print its result as JSON (chain or fanout)")
	chainLen := flag.Int("chain", 1000, "tasks in the chain")
	fanout := flag.Int("fanout", 10000, "tasks in the fan-out")
	parallel := flag.Int("parallel", 64, "tasks at once in the fan-out")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of a -scenario run to this file")
	withPG := flag.Bool("postgres", true, "also run the fan-out on PostgreSQL with 1 and 3 schedulers")
	pgOnly := flag.Bool("postgres-only", false, "run only the PostgreSQL fan-outs")
	schedulers := flag.String("schedulers", "1,3", "scheduler counts of the PostgreSQL fan-outs")
	databaseURL := flag.String("database-url", "", "PostgreSQL URL (pg-scheduler scenario)")
	runPK := flag.Int64("run", 0, "run to work on (pg-scheduler scenario)")
	dataDir := flag.String("data-dir", "", "data directory (pg-scheduler scenario)")
	kubeconfig := flag.String("kubeconfig", "", "admin kubeconfig of the test cluster (hack/kube/up.sh): also run the Kubernetes rows")
	kubePods := flag.Int("kubernetes-pods", 1000, "pod tasks in the Kubernetes fan-out")
	kubeChain := flag.Int("kubernetes-chain", 200, "pod tasks in the Kubernetes chain")
	kubeOnly := flag.Bool("kubernetes-only", false, "run only the Kubernetes rows")
	flag.Parse()
	ctx := context.Background()
	if *scenario != "" {
		if *cpuProfile != "" {
			f, err := os.Create(*cpuProfile)
			if err == nil {
				err = pprof.StartCPUProfile(f)
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, "bench:", err)
				os.Exit(1)
			}
			defer pprof.StopCPUProfile()
		}
		var res *result
		var err error
		switch *scenario {
		case "pg-scheduler":
			if err := pgScheduler(ctx, *databaseURL, *runPK, *parallel, *dataDir); err != nil {
				fmt.Fprintln(os.Stderr, "bench:", err)
				os.Exit(1)
			}
			return
		case "chain":
			res, err = runChain(ctx, *chainLen)
		case "fanout":
			res, err = runFanout(ctx, *fanout, *parallel)
		case "kube-chain":
			res, err = runKubeChain(ctx, *kubeconfig, *kubeChain)
		case "kube-fanout":
			res, err = runKubeFanout(ctx, *kubeconfig, *kubePods)
		case "kube-baseline":
			res, err = runKubeBaseline(ctx, *kubeconfig, *kubePods)
		default:
			err = fmt.Errorf("unknown scenario %q", *scenario)
		}
		if err != nil {
			pprof.StopCPUProfile()
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		_ = json.NewEncoder(os.Stdout).Encode(res)
		return
	}
	var rows []row
	local := []string{"chain", "fanout"}
	if *pgOnly {
		local, *withPG = nil, true
	}
	if *kubeOnly {
		local, *withPG = nil, false
	}
	if *kubeconfig != "" {
		local = append(local, "kube-chain", "kube-fanout", "kube-baseline")
	}
	for _, sc := range local {
		fmt.Fprintf(os.Stderr, "running %s...\n", sc)
		res, err := child(sc, os.Args[1:])
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		rows = append(rows, res.Rows...)
	}
	if *withPG {
		counts, err := parseCounts(*schedulers)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench: -schedulers:", err)
			os.Exit(2)
		}
		pg, err := pgFanouts(ctx, *fanout, *parallel, counts)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		rows = append(rows, pg...)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BENCHMARK\tFIGURE\tTARGET\tMET")
	failed := false
	for _, r := range rows {
		met := "yes"
		if !r.Met {
			met, failed = "no", true
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Name, r.Figure, r.Target, met)
	}
	_ = tw.Flush()
	if failed {
		fmt.Println("some figures miss their targets")
	}
}

// child runs one scenario in a fresh process of this binary.
func child(scenario string, args []string) (*result, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	// The child is this same binary with this process's own flags.
	cmd := exec.Command(self, append([]string{"-scenario", scenario}, args...)...) //nolint:gosec // see above
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: %w", scenario, err)
	}
	var res result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return nil, fmt.Errorf("%s: %w", scenario, err)
	}
	return &res, nil
}

type result struct {
	Rows []row `json:"rows"`
}

type row struct {
	Name   string `json:"name"`
	Figure string `json:"figure"`
	Target string `json:"target"`
	Met    bool   `json:"met"`
}

// parseCounts reads a comma-separated list of positive counts.
func parseCounts(s string) ([]int, error) {
	var counts []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive count", f)
		}
		counts = append(counts, n)
	}
	return counts, nil
}
